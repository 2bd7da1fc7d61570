using ClassExit.Portal.Infrastructure.Authorization;
using System.Net;
using System.Text.RegularExpressions;
using ClassExit.Portal.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ClassExit.Portal.Tests.Infrastructure;

/// <summary>
/// The real portal on a real SQLite file with the demo data, one per test run (Hangfire and the seed are process-wide
/// and slow), shared by every host test through <see cref="PortalCollection"/>. The Hangfire server is off: tests call jobs directly.
/// </summary>
public class PortalFactory : WebApplicationFactory<Program>
{
    private readonly string _directory = Directory.CreateTempSubdirectory("classexit-tests-").FullName;

    public string DatabasePath => Path.Combine(_directory, "portal.db");

    /// <summary>The scraper's key of <c>/metrics</c> (<c>Metrics:Key</c>).</summary>
    public const string MetricsKey = "test-metrics-key-0123456789";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("Database:Provider", "Sqlite");
        builder.UseSetting("ConnectionStrings:Sqlite", $"Data Source={DatabasePath}");
        builder.UseSetting("Jobs:ServerEnabled", "false");
        builder.UseSetting("Demo:Enabled", "true");
        // Its own audit key and checkpoint signing key (generated at start, as in the demo) and its own checkpoint file, where
        // ServicesOnDatabase finds them for the same database file.
        builder.UseSetting("Audit:KeyDirectory", DatabasePath + ".audit-keys");
        builder.UseSetting("Audit:CheckpointFile", DatabasePath + ".audit-checkpoints.jsonl");
        // The whole run signs in from one address, many times per account: the rate limits are tested by their own host.
        builder.UseSetting("Sessions:SignInPerAccountLimit", "100000");
        builder.UseSetting("Sessions:SignInPerIpLimit", "100000");
        builder.UseSetting("Sessions:StepUpPerAccountLimit", "100000");
        // Likewise the API's limits (ApiRateLimitTests has its own host with low ones): many calls with the demo keys, concurrent batches.
        foreach (var limit in new[] { "ClientExits", "Reads", "DryRuns" })
            foreach (var bucket in new[] { "PerKey", "PerOrganisation" })
                builder.UseSetting($"RateLimits:{limit}:{bucket}:TokenLimit", "100000");
        builder.UseSetting("RateLimits:ConcurrentBatchesPerOrganisation", "1000");
        builder.UseSetting("Metrics:Key", MetricsKey);
        ConfigureMore(builder);
    }

    /// <summary>A derived host's own settings and services (a fake clock, tighter limits).</summary>
    protected virtual void ConfigureMore(IWebHostBuilder builder)
    {
    }

    public HttpClient CreateBrowserLikeClient() =>
        CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    /// <summary>A fake clock for one test, at the portal's present: the test dates its data by it, hands it to the services and jobs it builds, and advances it.</summary>
    public FakeTimeProvider NewClock() => new(Services.GetRequiredService<TimeProvider>().GetUtcNow());

    /// <summary>A context in system scope, for arranging and asserting.</summary>
    public PortalDbContext SystemDb() => Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext().ForSystem();

    public async Task<long> OrganisationIdAsync(string name)
    {
        await using var db = SystemDb();
        return await db.Organisations.Where(o => o.Name == name).Select(o => o.Id).SingleAsync();
    }

    /// <summary>Signs in through the real sign-in form (antiforgery token and all); returns the final response.</summary>
    public async Task<HttpResponseMessage> SignInAsync(HttpClient client, string email, string password = ClassExit.Portal.Data.Seed.DemoSeeder.Password)
    {
        var page = await client.GetStringAsync("/Account/Login");
        var token = Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["_handler"] = "login",
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        });
        return await client.PostAsync("/Account/Login", form);
    }

    public static bool IsRedirectToLogin(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location?.ToString().Contains("/Account/Login") == true;

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            // Hangfire's log provider is static and holds the logger factory of the last host that started: once this host is gone,
            // another host still running (the shared portal, while a class fixture's host is disposed) would get
            // ObjectDisposedException from Hangfire. Its default provider is safe for every host.
            Hangfire.Logging.LogProvider.SetCurrentLogProvider(null);
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            // WebApplicationFactory may dispose twice (sync and async paths).
            if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PortalCollection : ICollectionFixture<PortalFactory>
{
    public const string Name = "portal";
}
