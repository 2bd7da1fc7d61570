using System.Security.Claims;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Features;
using ClassExit.Portal.Infrastructure;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ClassExit.Portal.TestSupport;

/// <summary>
/// The portal's own service registrations (identity, authorization, every feature) on one SQLite file, acting as one user: for
/// calling a feature service exactly as a page would, without a page. No web host and no Hangfire server: a job the service
/// enqueues gets an id and is never run (no Hangfire storage either: its process-wide log provider may belong to a test host that
/// has already been disposed).
/// </summary>
public static class ServicesOnDatabase
{
    /// <param name="settings">More configuration (e.g. audit key settings).</param>
    /// <param name="configureDb">More options for every context (e.g. the benchmark's command interceptor).</param>
    /// <param name="pooling">Pool connections as the portal does (tests keep it off so that a test's file can be deleted).</param>
    public static ServiceProvider Create(string databasePath, ICurrentUser user, TimeProvider clock, IDictionary<string, string?>? settings = null,
        Action<DbContextOptionsBuilder>? configureDb = null, bool pooling = false)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            // The audit keys (generated on first use, as in the demo) and checkpoint file beside the database file: the same ones
            // a PortalFactory or PortalServer on that file uses, so entries written here verify there.
            ["Audit:KeyDirectory"] = databasePath + ".audit-keys",
            ["Audit:CheckpointFile"] = databasePath + ".audit-checkpoints.jsonl",
        }.Concat(settings ?? new Dictionary<string, string?>()).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value)).Build());
        // Data Protection keys beside the database file, as the audit keys: every provider on that file unprotects what another
        // protected (a webhook secret saved by an admin's services, read by the dispatcher's).
        services.AddSingleton<IDataProtectionProvider>(DataProtectionProvider.Create(new DirectoryInfo(databasePath + ".data-protection")));
        services.AddPortalIdentity();
        services.AddPortalFeatures(services.BuildServiceProvider().GetRequiredService<IConfiguration>(), ClassExit.Portal.PortalFeatureList.All);
        services.AddSingleton<IBackgroundJobClient, UnprocessedJobs>();
        services.AddDbContextFactory<PortalDbContext>((sp, o) =>
        {
            o.UsePortalProvider(DatabaseProvider.Sqlite, $"Data Source={databasePath};Pooling={pooling}");
            // As the portal does (PortalData): e.g. the notifications' after-commit interceptor.
            o.AddInterceptors(sp.GetServices<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor>());
            configureDb?.Invoke(o);
        });
        services.AddSingleton(clock);
        services.AddScoped(_ => user);
        return services.BuildServiceProvider();
    }

    /// <summary>The principal the sign-in would give the account <paramref name="email"/> (its roles, organisation and member).</summary>
    public static async Task<ICurrentUser> AccountAsync(string databasePath, string email)
    {
        return From(await ClaimsAsync(databasePath, email));
    }

    /// <summary>An <see cref="ICurrentUser"/> for a principal built elsewhere.</summary>
    public static ICurrentUser From(ClaimsPrincipal principal) => new Principal(principal);

    private static async Task<ClaimsPrincipal> ClaimsAsync(string databasePath, string email)
    {
        await using var services = Create(databasePath, new Principal(new ClaimsPrincipal()), TimeProvider.System);
        await using var db = (await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForSystem();
        var account = await db.Users.SingleAsync(u => u.Email == email);
        var roles = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id where ur.UserId == account.Id select r.Name!).ToListAsync();
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, account.Id), new(PortalClaims.DisplayName, account.DisplayName) };
        if (account.OrganisationId is { } org) claims.Add(new Claim(PortalClaims.OrganisationId, org.ToString()));
        if (account.MemberId is { } member) claims.Add(new Claim(PortalClaims.MemberId, member.ToString()));
        claims.AddRange(roles.Select(r => new Claim(ClaimTypes.Role, r)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, "Test"));
    }

    private sealed class UnprocessedJobs : IBackgroundJobClient
    {
        private int _next;

        public string Create(Job job, IState state) => $"unprocessed-{Interlocked.Increment(ref _next)}";

        public bool ChangeState(string jobId, IState state, string expectedState) => false;
    }

    private sealed class Principal(ClaimsPrincipal principal) : ICurrentUser
    {
        public Task<PortalPrincipal> GetAsync() => Task.FromResult(PortalPrincipal.From(principal)!);
    }
}
