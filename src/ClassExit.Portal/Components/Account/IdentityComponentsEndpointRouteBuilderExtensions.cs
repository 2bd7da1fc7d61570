using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Infrastructure.Identity;

namespace Microsoft.AspNetCore.Routing;

internal static class IdentityComponentsEndpointRouteBuilderExtensions
{
    // Sign-out, posted by the app bar. Accounts are provisioned by the organisation: there is no self-registration, e-mail
    // confirmation, password-reset-by-mail, passkey or personal-data self-service (docs/decisions/0005-accounts.md).
    public static IEndpointConventionBuilder MapAdditionalIdentityEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);

        var accountGroup = endpoints.MapGroup("/Account");

        accountGroup.MapPost("/Logout", async (
            ClaimsPrincipal user,
            [FromServices] SignInManager<PortalUser> signInManager,
            [FromForm] string returnUrl) =>
        {
            await signInManager.SignOutAsync();
            return TypedResults.LocalRedirect($"~/{returnUrl}");
        }).RequireAuthorization();

        // Sign out everywhere: every session of the account ends on the server and the security stamp rotates, so every
        // browser's next request and every open circuit (within a minute) is signed out. Audited as a security event.
        accountGroup.MapPost("/LogoutEverywhere", async (
            HttpContext context,
            ClaimsPrincipal user,
            [FromServices] SignInManager<PortalUser> signInManager,
            [FromServices] PortalSessionStore sessions,
            [FromServices] SecurityAudit audit) =>
        {
            var account = await signInManager.UserManager.GetUserAsync(user);
            if (account is not null)
            {
                var ended = await sessions.EndAllAsync(account.Id, SessionEndReasons.SignedOutEverywhere, context.RequestAborted);
                await signInManager.UserManager.UpdateSecurityStampAsync(account);
                await audit.RecordAsync("security.signed_out_everywhere", AuditOutcome.Succeeded, account.Id, account.DisplayName,
                    context.TraceIdentifier, ct: context.RequestAborted);
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("ClassExit.Portal.Sessions")
                    .LogInformation("Signed out everywhere: {Count} sessions ended", ended);
            }
            await signInManager.SignOutAsync();
            return TypedResults.LocalRedirect("~/Account/SignedOut?reason=everywhere");
        }).RequireAuthorization();

        return accountGroup;
    }
}
