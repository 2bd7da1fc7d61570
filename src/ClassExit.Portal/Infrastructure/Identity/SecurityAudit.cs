using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Audit;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Infrastructure.Identity;

/// <summary>Security events of sessions, step-up and rate limits, each in its own short context (no change to join).</summary>
public sealed class SecurityAudit(IDbContextFactory<PortalDbContext> factory, TimeProvider clock)
{
    /// <summary>Records one event about an account (or, with <paramref name="userId"/> null, about what was typed: an unknown e-mail).</summary>
    public async Task RecordAsync(string action, AuditOutcome outcome, string? userId, string? name, string? correlationId,
        bool securityEvent = true, CancellationToken ct = default)
    {
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var user = userId is null ? null : await db.Users.AsNoTracking().Where(u => u.Id == userId)
            .Select(u => new { u.Id, u.OrganisationId, u.MemberId, u.DisplayName }).SingleOrDefaultAsync(ct);
        db.AuditEntries.Add(new AuditEntry(user?.OrganisationId, clock.GetUtcNow(), action, outcome, user?.Id, user?.MemberId,
            user?.DisplayName ?? name ?? "?", "User", user?.Id, correlationId ?? "", memberId: user?.MemberId, isSecurityEvent: securityEvent));
        await db.SaveChangesAsync(ct);
    }
}
