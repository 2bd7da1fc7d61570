using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Infrastructure.Identity;

namespace ClassExit.Portal.Components.Account;

// This is a server-side AuthenticationStateProvider that revalidates the security stamp and the server-side session for the
// connected user every minute while an interactive circuit is connected, so a disabled account, a session signed out elsewhere
// and an idle or expired session lose the circuit within a minute (the layout then shows the signed-out page).
internal sealed class IdentityRevalidatingAuthenticationStateProvider(
        ILoggerFactory loggerFactory,
        IServiceScopeFactory scopeFactory,
        IOptions<IdentityOptions> options,
        PortalSessionStore sessions)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    /// <summary>Why the circuit's session ended (<see cref="SessionEndReasons"/>), once revalidation failed.</summary>
    public string? EndedReason { get; private set; }

    protected override async Task<bool> ValidateAuthenticationStateAsync(
        AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        // Get the user manager from a new scope to ensure it fetches fresh data
        await using var scope = scopeFactory.CreateAsyncScope();
        var userManager = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        if (!await ValidateSecurityStampAsync(userManager, authenticationState.User))
        {
            EndedReason = SessionEndReasons.AccountChanged;
            return false;
        }
        var principal = authenticationState.User;
        var session = await sessions.CheckAsync(principal.FindFirstValue(PortalClaims.SessionId),
            principal.FindFirstValue(ClaimTypes.NameIdentifier), touch: false, cancellationToken);
        if (!session.IsActive) EndedReason = session.EndReason;
        return session.IsActive;
    }

    private async Task<bool> ValidateSecurityStampAsync(UserManager<PortalUser> userManager, ClaimsPrincipal principal)
    {
        var user = await userManager.GetUserAsync(principal);
        if (user is null || user.IsDisabled || await userManager.IsLockedOutAsync(user))
        {
            return false;
        }
        else if (!userManager.SupportsUserSecurityStamp)
        {
            return true;
        }
        else
        {
            var principalStamp = principal.FindFirstValue(options.Value.ClaimsIdentity.SecurityStampClaimType);
            var userStamp = await userManager.GetSecurityStampAsync(user);
            return principalStamp == userStamp;
        }
    }
}
