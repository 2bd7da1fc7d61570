using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Features.Audit;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.ExitRequests;

/// <summary>
/// Marks pending requests older than their organisation's approval SLA as overdue and escalates each to the organisation's
/// enterprise admins (an audit entry naming them). Safe to run twice: an overdue request is not escalated again.
/// </summary>
public sealed class ExitEscalationJob(IDbContextFactory<PortalDbContext> factory, TimeProvider clock, ILogger<ExitEscalationJob> logger,
    Notifications.PortalEvents events)
{
    public const string JobId = "exit-escalation";

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var organisations = await db.Organisations.Select(o => new { o.Id, o.Policy.ApprovalSlaHours }).ToListAsync(ct);
        var escalated = 0;
        foreach (var org in organisations)
        {
            var deadline = now.AddHours(-org.ApprovalSlaHours);
            var overdue = await db.ExitRequests
                .Where(e => e.OrganisationId == org.Id && e.Status == ExitRequestStatus.PendingApproval && !e.Overdue && e.CreatedAt <= deadline)
                .OrderBy(e => e.Id).Take(500).ToListAsync(ct);
            if (overdue.Count == 0) continue;
            var admins = await db.Members.Where(m => m.OrganisationId == org.Id && (m.OrgRole == OrgRole.EnterpriseAdmin || m.OrgRole == OrgRole.SuperAdmin))
                .Select(m => m.Id).ToListAsync(ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            foreach (var request in overdue)
            {
                request.MarkOverdue(now);
                AuditLog.Add(db, org.Id, AuditActor.System("escalation job"), now, "exit.escalated", AuditOutcome.Succeeded, "ExitRequest",
                    request.Id.ToString(), request.ClassId, request.MemberId,
                    details: new { sla_hours = org.ApprovalSlaHours, waited_hours = Math.Round((now - request.CreatedAt).TotalHours, 1), escalated_to = admins });
                await events.RaiseAsync(db, new Notifications.PortalEvent(org.Id, Domain.Notifications.EventKinds.ApprovalEscalated, now, "ExitRequest",
                    request.Id.ToString(), request.ClassId, request.MemberId, new Dictionary<string, object?>
                    {
                        ["sla_hours"] = org.ApprovalSlaHours, ["waited_hours"] = Math.Round((now - request.CreatedAt).TotalHours, 1),
                    }), ct);
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            escalated += overdue.Count;
        }
        if (escalated > 0) logger.LogInformation("Escalated {Count} overdue exit requests", escalated);
        return escalated;
    }
}
