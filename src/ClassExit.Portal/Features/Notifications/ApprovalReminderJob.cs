using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Notifications;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Notifications;

/// <summary>
/// Sends each due SLA reminder (<see cref="ApprovalReminder"/>, at 75 % of the SLA) once, to whoever may decide the request then; a
/// reminder whose request is no longer pending (decided, withdrawn, superseded) or already escalated is cancelled instead.
/// </summary>
public sealed class ApprovalReminderJob(IDbContextFactory<PortalDbContext> factory, PortalEvents events, TimeProvider clock)
{
    public const string JobId = "notifications-approval-reminders";

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var due = await db.ApprovalReminders.Where(r => r.SentAt == null && r.CancelledAt == null && r.DueAt <= now)
            .OrderBy(r => r.DueAt).Take(500).ToListAsync(ct);
        if (due.Count == 0) return 0;
        var ids = due.Select(r => r.ExitRequestId).ToList();
        var requests = await db.ExitRequests.Where(e => ids.Contains(e.Id)).ToDictionaryAsync(e => e.Id, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var sent = 0;
        foreach (var reminder in due)
        {
            if (requests.GetValueOrDefault(reminder.ExitRequestId) is not { Status: ExitRequestStatus.PendingApproval, Overdue: false } request)
            {
                reminder.Cancel(now);
                continue;
            }
            reminder.MarkSent(now);
            sent++;
            await events.RaiseAsync(db, new PortalEvent(request.OrganisationId, EventKinds.ApprovalReminder, now, "ExitRequest", request.Id.ToString(),
                request.ClassId, request.MemberId, new Dictionary<string, object?> { ["due_at"] = reminder.DueAt.ToString("u") }), ct);
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return sent;
    }
}
