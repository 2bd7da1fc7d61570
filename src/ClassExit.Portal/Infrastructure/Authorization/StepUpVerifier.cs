using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Identity;
using Microsoft.AspNetCore.Identity;

namespace ClassExit.Portal.Infrastructure.Authorization;

/// <summary>What step-up asks the user for.</summary>
public enum StepUpMethod
{
    Password,
    AuthenticatorCode,
}

/// <summary>
/// Step-up for sensitive actions. A user with two-factor sign-in enters the current code of their authenticator app (only that:
/// a password alone is what a stolen session plus a shoulder-surfed password would have); a user without it re-enters the password.
/// A success holds for <see cref="SessionOptions.StepUpMinutes"/> in the current session, so a run of changes asks once.
/// Failures count towards lockout, attempts are rate-limited per account, and both are audited as security events.
/// </summary>
public sealed class StepUpVerifier(UserManager<PortalUser> users, TimeProvider clock, PortalSessionStore sessions, StepUpRateLimiter limiter,
    ICurrentUser currentUser)
{
    /// <summary>Whether the signed-in user stepped up a moment ago: the dialogs then ask nothing.</summary>
    public async Task<bool> IsFreshAsync(CancellationToken ct = default)
    {
        var user = await currentUser.GetAsync();
        return await sessions.IsSteppedUpAsync(user.SessionId, user.UserId, ct);
    }

    /// <summary>What the dialogs ask the signed-in user for.</summary>
    public async Task<StepUpMethod> MethodAsync()
    {
        var user = await currentUser.GetAsync();
        var account = user.UserId is null ? null : await users.FindByIdAsync(user.UserId);
        return account is not null && await users.GetTwoFactorEnabledAsync(account) ? StepUpMethod.AuthenticatorCode : StepUpMethod.Password;
    }

    /// <param name="password">The password, or the authenticator code when the user has two-factor sign-in; may be empty inside
    /// the step-up window.</param>
    public async Task<bool> VerifyAsync(PortalPrincipal user, string? password, string purpose, PortalDbContext db, CancellationToken ct)
    {
        if (user.UserId is null) return false;
        if (await sessions.IsSteppedUpAsync(user.SessionId, user.UserId, ct)) return true;
        if (string.IsNullOrEmpty(password)) return false;
        var account = await users.FindByIdAsync(user.UserId);
        if (account is null || await users.IsLockedOutAsync(account)) return false;
        if (!limiter.TryAcquire(user.UserId))
        {
            Audit(db, user, "security.step_up_rate_limited", purpose);
            await db.SaveChangesAsync(ct);
            return false;
        }
        var verified = await users.GetTwoFactorEnabledAsync(account)
            ? await users.VerifyTwoFactorTokenAsync(account, TokenOptions.DefaultAuthenticatorProvider, password.Replace(" ", "").Replace("-", ""))
            : await users.CheckPasswordAsync(account, password);
        if (verified)
        {
            await users.ResetAccessFailedCountAsync(account);
            await sessions.MarkSteppedUpAsync(user.SessionId, ct);
            return true;
        }
        await users.AccessFailedAsync(account);
        Audit(db, user, "security.step_up_failed", purpose);
        await db.SaveChangesAsync(ct);
        return false;
    }

    private void Audit(PortalDbContext db, PortalPrincipal user, string action, string purpose) =>
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), clock.GetUtcNow(), action, AuditOutcome.Refused,
            "User", user.UserId, securityEvent: true, details: new { purpose });
}
