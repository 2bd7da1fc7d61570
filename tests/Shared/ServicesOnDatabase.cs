using System.Security.Claims;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Features;
using ClassExit.Portal.Infrastructure;
using Hangfire;
using Hangfire.InMemory;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ClassExit.Portal.TestSupport;

/// <summary>
/// The portal's own service registrations (identity, authorization, every feature) on one SQLite file, acting as one user: for
/// calling a feature service exactly as a page would, without a page. No web host and no Hangfire server: background jobs go to
/// an in-memory storage that nobody processes.
/// </summary>
public static class ServicesOnDatabase
{
    public static ServiceProvider Create(string databasePath, ICurrentUser user, TimeProvider clock)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Audit:SealIntervalSeconds"] = "0" }).Build());
        services.AddSingleton<IDataProtectionProvider>(new EphemeralDataProtectionProvider());
        services.AddPortalIdentity();
        services.AddPortalFeatures();
        services.AddSingleton<IBackgroundJobClient>(new BackgroundJobClient(NewStorage()));
        services.AddDbContextFactory<PortalDbContext>(o => o.UsePortalProvider(DatabaseProvider.Sqlite, $"Data Source={databasePath};Pooling=False"));
        services.AddSingleton(clock);
        services.AddScoped(_ => user);
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// Hangfire's log provider is static and holds the ILoggerFactory of the last portal host that started; once that host is disposed
    /// (a class fixture's factory), creating storage throws ObjectDisposedException: fall back to Hangfire's default provider then.
    /// </summary>
    private static InMemoryStorage NewStorage()
    {
        try
        {
            return new InMemoryStorage();
        }
        catch (ObjectDisposedException)
        {
            Hangfire.Logging.LogProvider.SetCurrentLogProvider(null);
            return new InMemoryStorage();
        }
    }

    /// <summary>The principal the sign-in would give the account <paramref name="email"/> (its roles, organisation and member).</summary>
    public static async Task<ICurrentUser> AccountAsync(string databasePath, string email)
    {
        await using var services = Create(databasePath, new Principal(new ClaimsPrincipal()), TimeProvider.System);
        await using var db = (await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForSystem();
        var account = await db.Users.SingleAsync(u => u.Email == email);
        var roles = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id where ur.UserId == account.Id select r.Name!).ToListAsync();
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, account.Id), new(PortalClaims.DisplayName, account.DisplayName) };
        if (account.OrganisationId is { } org) claims.Add(new Claim(PortalClaims.OrganisationId, org.ToString()));
        if (account.MemberId is { } member) claims.Add(new Claim(PortalClaims.MemberId, member.ToString()));
        claims.AddRange(roles.Select(r => new Claim(ClaimTypes.Role, r)));
        return new Principal(new ClaimsPrincipal(new ClaimsIdentity(claims, "Test")));
    }

    private sealed class Principal(ClaimsPrincipal principal) : ICurrentUser
    {
        public Task<PortalPrincipal> GetAsync() => Task.FromResult(PortalPrincipal.From(principal)!);
    }
}
