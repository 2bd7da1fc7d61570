using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Infrastructure;
using Microsoft.AspNetCore.Identity;

namespace ClassExit.Portal.Features.ExitRequests;

/// <summary>
/// Step-up for sensitive actions: the signed-in user re-enters their password. A wrong password counts towards lockout and is
/// audited as a security event.
/// </summary>
public sealed class StepUpVerifier(UserManager<PortalUser> users, TimeProvider clock)
{
    public async Task<bool> VerifyAsync(PortalPrincipal user, string? password, string purpose, PortalDbContext db, CancellationToken ct)
    {
        if (user.UserId is null || string.IsNullOrEmpty(password)) return false;
        var account = await users.FindByIdAsync(user.UserId);
        if (account is null || await users.IsLockedOutAsync(account)) return false;
        if (await users.CheckPasswordAsync(account, password))
        {
            await users.ResetAccessFailedCountAsync(account);
            return true;
        }
        await users.AccessFailedAsync(account);
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), clock.GetUtcNow(), "security.step_up_failed", AuditOutcome.Refused,
            "User", user.UserId, securityEvent: true, details: new { purpose });
        await db.SaveChangesAsync(ct);
        return false;
    }
}
