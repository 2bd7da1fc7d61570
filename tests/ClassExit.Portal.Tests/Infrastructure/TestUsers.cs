using System.Security.Claims;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ClassExit.Portal.Tests.Infrastructure;

/// <summary>A fixed signed-in user, for calling feature services directly as that user.</summary>
public sealed class FixedCurrentUser(ClaimsPrincipal principal) : ICurrentUser
{
    public Task<PortalPrincipal> GetAsync() => Task.FromResult(PortalPrincipal.From(principal)!);

    public static FixedCurrentUser Of(long organisationId, long? memberId, string? userId, params string[] roles)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, userId ?? "test-user"),
            new(PortalClaims.DisplayName, "Test User"),
        };
        if (organisationId != PortalPrincipal.NoOrganisation) claims.Add(new Claim(PortalClaims.OrganisationId, organisationId.ToString()));
        if (memberId is not null) claims.Add(new Claim(PortalClaims.MemberId, memberId.Value.ToString()));
        claims.AddRange(roles.Select(r => new Claim(ClaimTypes.Role, r)));
        return new FixedCurrentUser(new ClaimsPrincipal(new ClaimsIdentity(claims, "Test")));
    }
}

public static class PortalServices
{
    /// <summary>Any feature service acting as the demo user <paramref name="email"/>; dispose the scope after.</summary>
    public static async Task<(T Service, IServiceScope Scope)> ServiceAsAsync<T>(this PortalFactory factory, string email) where T : notnull
    {
        await using var db = factory.SystemDb();
        var user = await db.Users.SingleAsync(u => u.Email == email);
        var roles = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id where ur.UserId == user.Id select r.Name!).ToArrayAsync();
        var current = FixedCurrentUser.Of(user.OrganisationId ?? PortalPrincipal.NoOrganisation, user.MemberId, user.Id, roles);
        var scope = factory.Services.CreateScope();
        var tenantDb = new TenantDb(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), current);
        return (ActivatorUtilities.CreateInstance<T>(scope.ServiceProvider, tenantDb), scope);
    }

    /// <summary>Feature services acting as the demo user <paramref name="email"/> (roles and member read from the database).</summary>
    public static async Task<(ExitService Exits, ExitQueries Queries, IServiceScope Scope)> AsUserAsync(this PortalFactory factory, string email)
    {
        await using var db = factory.SystemDb();
        var user = await db.Users.SingleAsync(u => u.Email == email);
        var roles = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id where ur.UserId == user.Id select r.Name!).ToArrayAsync();
        var current = FixedCurrentUser.Of(user.OrganisationId ?? PortalPrincipal.NoOrganisation, user.MemberId, user.Id, roles);
        var scope = factory.Services.CreateScope();
        var tenantDb = new TenantDb(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), current);
        var clock = scope.ServiceProvider.GetRequiredService<TimeProvider>();
        var stepUp = scope.ServiceProvider.GetRequiredService<StepUpVerifier>();
        return (new ExitService(tenantDb, clock, stepUp, new PortalAuthorizer(tenantDb, clock), scope.ServiceProvider.GetRequiredService<ClassExit.Portal.Features.Notifications.PortalEvents>()), new ExitQueries(tenantDb, clock), scope);
    }
}
