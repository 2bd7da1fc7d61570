using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Audit;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Audit;

/// <summary>Audits every sign-in attempt (successes, failures and lockouts: a lockout is a security event) and password changes.</summary>
public sealed class SignInAuditService(IDbContextFactory<PortalDbContext> factory, ILookupNormalizer normalizer, TimeProvider clock)
{
    public async Task RecordAsync(string email, SignInResult result, string correlationId, CancellationToken ct = default)
    {
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var normalized = normalizer.NormalizeEmail(email);
        var user = await db.Users.AsNoTracking().Where(u => u.NormalizedEmail == normalized)
            .Select(u => new { u.Id, u.OrganisationId, u.MemberId, u.DisplayName }).SingleOrDefaultAsync(ct);

        var (action, outcome, security) = result switch
        {
            { Succeeded: true } => ("auth.sign_in", AuditOutcome.Succeeded, false),
            { RequiresTwoFactor: true } => ("auth.sign_in_second_factor", AuditOutcome.Succeeded, false),
            { IsLockedOut: true } => ("auth.locked_out", AuditOutcome.Refused, true),
            { IsNotAllowed: true } => ("auth.sign_in_not_allowed", AuditOutcome.Refused, true),
            _ => ("auth.sign_in_failed", AuditOutcome.Refused, false),
        };
        // An unknown e-mail has no tenant: the entry has no organisation and no user, only what was typed.
        var actor = new AuditActor(user?.Id, user?.MemberId, user?.DisplayName ?? email, correlationId);
        var entry = new AuditEntry(user?.OrganisationId, clock.GetUtcNow(), action, outcome, actor.UserId, actor.MemberId, actor.Name,
            "User", user?.Id, correlationId, memberId: user?.MemberId, isSecurityEvent: security);
        db.AuditEntries.Add(entry);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// The second step of a sign-in, with an authenticator code or a recovery code: success, a wrong code (a security event, and
    /// Identity counts it toward lockout) or the lockout it caused.
    /// </summary>
    public async Task RecordSecondFactorAsync(Data.Identity.PortalUser user, SignInResult result, bool recoveryCode, string correlationId,
        CancellationToken ct = default)
    {
        var (action, outcome, security) = result switch
        {
            { Succeeded: true } => (recoveryCode ? "auth.sign_in_recovery_code" : "auth.sign_in_two_factor", AuditOutcome.Succeeded, recoveryCode),
            { IsLockedOut: true } => ("auth.locked_out", AuditOutcome.Refused, true),
            { IsNotAllowed: true } => ("auth.sign_in_not_allowed", AuditOutcome.Refused, true),
            _ => (recoveryCode ? "auth.recovery_code_failed" : "auth.two_factor_failed", AuditOutcome.Refused, true),
        };
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        db.AuditEntries.Add(new AuditEntry(user.OrganisationId, clock.GetUtcNow(), action, outcome, user.Id, user.MemberId, user.DisplayName,
            "User", user.Id, correlationId, memberId: user.MemberId, isSecurityEvent: security));
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// A user changed their own second factor: <c>security.two_factor_enabled</c>, <c>_disabled</c>, <c>_reset</c> or
    /// <c>security.recovery_codes_generated</c>; always a security event. <paramref name="details"/> carries before and after.
    /// </summary>
    public async Task RecordTwoFactorChangeAsync(Data.Identity.PortalUser user, string action, string correlationId, string? details = null,
        CancellationToken ct = default)
    {
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        db.AuditEntries.Add(new AuditEntry(user.OrganisationId, clock.GetUtcNow(), action, AuditOutcome.Succeeded, user.Id, user.MemberId,
            user.DisplayName, "User", user.Id, correlationId, memberId: user.MemberId, isSecurityEvent: true, details: details));
        await db.SaveChangesAsync(ct);
    }

    /// <summary>A user changed (or failed to change) their own password: a security event either way.</summary>
    public async Task RecordPasswordChangeAsync(Data.Identity.PortalUser user, bool succeeded, string correlationId, CancellationToken ct = default)
    {
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        db.AuditEntries.Add(new AuditEntry(user.OrganisationId, clock.GetUtcNow(), succeeded ? "auth.password_changed" : "auth.password_change_failed",
            succeeded ? AuditOutcome.Succeeded : AuditOutcome.Refused, user.Id, user.MemberId, user.DisplayName, "User", user.Id, correlationId,
            memberId: user.MemberId, isSecurityEvent: true));
        await db.SaveChangesAsync(ct);
    }
}
