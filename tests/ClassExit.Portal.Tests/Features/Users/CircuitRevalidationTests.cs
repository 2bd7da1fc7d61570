using System.Net;
using System.Reflection;
using System.Security.Claims;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Features.Users;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Identity;
using ClassExit.Portal.TestSupport;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ClassExit.Portal.Tests.Features.Users;

/// <summary>
/// An open Blazor circuit learns of an admin's change to the account within a minute: the revalidating authentication state provider
/// (every minute) reports the circuit's principal valid before a role change or a disable through <see cref="UsersService"/> and invalid
/// after it; the old cookie is refused at the next checked request, and signing in again applies the new role.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class CircuitRevalidationTests(PortalFactory factory)
{
    [Fact]
    public async Task RoleChange_CircuitIsInvalidAtTheNextRevalidation_OldCookieRefused_NewSignInHasTheNewRole()
    {
        var user = await CreateUserAsync("circuit-role", PortalRoles.HrOperator);
        var client = factory.CreateBrowserLikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await factory.SignInAsync(client, user.Email!)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api-keys")).StatusCode);
        var circuit = await CircuitPrincipalAsync(user.Id);

        using var scope = factory.Services.CreateScope();
        var provider = scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>();
        Assert.Equal(TimeSpan.FromMinutes(1), RevalidationInterval(provider));
        Assert.True(await ValidAsync(provider, circuit), "the circuit is invalid before any change");
        Assert.True(await ValidAsync(provider, circuit), "a second revalidation with no change fails");

        await using (var admin = await ServicesAsAsync("admin@school.demo"))
        {
            var changed = await admin.GetRequiredService<UsersService>().ChangeRoleAsync(user.Id, PortalRoles.SchoolStaff, DemoSeeder.Password);
            Assert.True(changed.Succeeded, $"refused {changed.Code}");
        }

        Assert.False(await ValidAsync(provider, circuit), "the open circuit still counts as signed in after the role change");
        Assert.Equal(SessionEndReasons.AccountChanged, EndedReason(provider));

        using (MinuteLater())
            AssertSignedOut(await client.GetAsync("/api-keys"));
        Assert.Equal(HttpStatusCode.Redirect, (await factory.SignInAsync(client, user.Email!)).StatusCode);
        var refused = await client.GetAsync("/api-keys");
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.Contains("/Account/AccessDenied", refused.Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/classes")).StatusCode);

        // The new sign-in's circuit is valid again.
        Assert.True(await ValidAsync(provider, await CircuitPrincipalAsync(user.Id)), "a circuit of the new sign-in is refused");
    }

    [Fact]
    public async Task Disable_CircuitIsInvalidAtTheNextRevalidation_AndTheOldCookieIsRefused()
    {
        var user = await CreateUserAsync("circuit-disable", PortalRoles.SchoolStaff);
        var client = factory.CreateBrowserLikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await factory.SignInAsync(client, user.Email!)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/classes")).StatusCode);
        var circuit = await CircuitPrincipalAsync(user.Id);

        using var scope = factory.Services.CreateScope();
        var provider = scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>();
        Assert.True(await ValidAsync(provider, circuit), "the circuit is invalid before any change");

        await using (var admin = await ServicesAsAsync("admin@school.demo"))
        {
            var disabled = await admin.GetRequiredService<UsersService>().SetEnabledAsync(user.Id, false, DemoSeeder.Password);
            Assert.True(disabled.Succeeded, $"refused {disabled.Code}");
        }

        Assert.False(await ValidAsync(provider, circuit), "the open circuit still counts as signed in after the account was disabled");
        Assert.Equal(SessionEndReasons.AccountChanged, EndedReason(provider));
        using (MinuteLater())
            AssertSignedOut(await client.GetAsync("/classes"));
    }

    /// <summary>The old cookie is refused: to the sign-in page, or to the signed-out page (the session ended), then sign-in.</summary>
    private static void AssertSignedOut(HttpResponseMessage response)
    {
        var location = response.Headers.Location?.ToString();
        Assert.True(response.StatusCode == HttpStatusCode.Redirect && location is not null
            && (location.Contains("/Account/Login") || location.Contains("/Account/SignedOut")),
            $"the old cookie still works: {(int)response.StatusCode} {location}");
    }

    private async Task<PortalUser> CreateUserAsync(string prefix, string role)
    {
        var email = $"{prefix}-{Guid.NewGuid():N}@school.demo";
        var org = await factory.OrganisationIdAsync(DemoSeeder.SchoolName);
        using var scope = factory.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, OrganisationId = org, DisplayName = "Circuit Test" };
        var created = await users.CreateAsync(user, DemoSeeder.Password);
        Assert.True(created.Succeeded, string.Join(" ", created.Errors.Select(e => e.Code)));
        Assert.True((await users.AddToRoleAsync(user, role)).Succeeded);
        return user;
    }

    /// <summary>The principal a circuit opened by the user's latest sign-in holds: its id, session and security stamp of that time.</summary>
    private async Task<ClaimsPrincipal> CircuitPrincipalAsync(string userId)
    {
        await using var db = factory.SystemDb();
        var session = await db.PortalSessions.AsNoTracking().Where(s => s.UserId == userId && s.RevokedAt == null)
            .OrderByDescending(s => s.CreatedAt).FirstAsync();
        var stamp = await db.Users.Where(u => u.Id == userId).Select(u => u.SecurityStamp).SingleAsync();
        Assert.False(string.IsNullOrEmpty(stamp));
        var stampClaim = factory.Services.GetRequiredService<IOptions<IdentityOptions>>().Value.ClaimsIdentity.SecurityStampClaimType;
        return new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, userId),
            new Claim(PortalClaims.SessionId, session.Id),
            new Claim(stampClaim, stamp!),
        ], "Identity.Application"));
    }

    private static async Task<bool> ValidAsync(AuthenticationStateProvider provider, ClaimsPrincipal principal)
    {
        var validate = provider.GetType().GetMethod("ValidateAuthenticationStateAsync", BindingFlags.Instance | BindingFlags.NonPublic);
        Assert.NotNull(validate);
        return await (Task<bool>)validate.Invoke(provider, [new AuthenticationState(principal), CancellationToken.None])!;
    }

    private static TimeSpan RevalidationInterval(AuthenticationStateProvider provider) =>
        (TimeSpan)provider.GetType().GetProperty("RevalidationInterval", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(provider)!;

    private static string? EndedReason(AuthenticationStateProvider provider) =>
        (string?)provider.GetType().GetProperty("EndedReason")!.GetValue(provider);

    private async Task<ServiceProvider> ServicesAsAsync(string email) =>
        ServicesOnDatabase.Create(factory.DatabasePath, await ServicesOnDatabase.AccountAsync(factory.DatabasePath, email),
            new FakeTimeProvider(factory.Services.GetRequiredService<TimeProvider>().GetUtcNow()));

    /// <summary>Moves the cookie's security stamp check (every minute) past its interval for the requests inside.</summary>
    private IDisposable MinuteLater()
    {
        var options = factory.Services.GetRequiredService<IOptions<SecurityStampValidatorOptions>>().Value;
        Assert.Equal(TimeSpan.FromMinutes(1), options.ValidationInterval);
        var previous = options.TimeProvider;
        options.TimeProvider = new FakeTimeProvider(DateTimeOffset.UtcNow.AddSeconds(61));
        return new Restore(() => options.TimeProvider = previous);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
