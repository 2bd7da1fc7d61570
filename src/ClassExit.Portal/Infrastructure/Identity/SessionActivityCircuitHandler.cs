using System.Security.Claims;
using ClassExit.Portal.Data.Identity;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;

namespace ClassExit.Portal.Infrastructure.Identity;

/// <summary>
/// What the user does in an open circuit (clicks, typing, navigation) is activity: it keeps the session from idling out, at most
/// one write a minute. The circuit's own timers (revalidation) are not inbound activity and so never keep an unattended tab alive.
/// </summary>
internal sealed class SessionActivityCircuitHandler(AuthenticationStateProvider authState, PortalSessionStore store, TimeProvider clock)
    : CircuitHandler
{
    private DateTimeOffset _lastTouch = DateTimeOffset.MinValue;

    public override Func<CircuitInboundActivityContext, Task> CreateInboundActivityHandler(Func<CircuitInboundActivityContext, Task> next) =>
        async context =>
        {
            var now = clock.GetUtcNow();
            if (now - _lastTouch >= PortalSessionStore.TouchInterval)
            {
                _lastTouch = now;
                var user = (await authState.GetAuthenticationStateAsync()).User;
                if (user.FindFirstValue(PortalClaims.SessionId) is { } sessionId)
                    await store.CheckAsync(sessionId, user.FindFirstValue(ClaimTypes.NameIdentifier), touch: true);
            }
            await next(context);
        };
}
