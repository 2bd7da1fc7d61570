using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Notifications;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Features.Notifications;

/// <summary>
/// The portal's own sink: in-portal notifications and e-mail outbox rows for each recipient (<see cref="NotificationRecipients"/>),
/// as each one chose (<see cref="NotificationPreference"/>), in the caller's context so that they commit or roll back with the change.
/// It also schedules an approval request's SLA reminder and cancels it when the request is decided.
/// </summary>
public sealed class NotificationSink(IOptions<EmailOptions> email, NotificationCommitInterceptor committed) : IPortalEventSink
{
    public async Task StageAsync(PortalDbContext db, PortalEvent e, CancellationToken ct = default)
    {
        if (e.Kind == EventKinds.MemberExited) return; // the messaging platform's event (webhooks), nobody's bell
        await ScheduleRemindersAsync(db, e, ct);
        var recipients = await NotificationRecipients.ForAsync(db, e, ct);
        if (recipients.Count == 0) return;

        var data = await EnrichAsync(db, e, ct);
        var json = NotificationTexts.Serialize(data);
        var (link, _) = NotificationRecipients.LinkOf(e);
        var userIds = recipients.Select(r => r.UserId).ToList();
        var chosen = await db.NotificationPreferences.Where(p => p.OrganisationId == e.OrganisationId && p.Kind == e.Kind && userIds.Contains(p.UserId))
            .ToDictionaryAsync(p => p.UserId, p => p.Delivery, ct);
        var names = await db.Users.Where(u => userIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        var options = email.Value;
        foreach (var r in recipients)
        {
            var delivery = NotificationPreference.Effective(e.Kind, chosen.GetValueOrDefault(r.UserId, NotificationPreference.Defaults.For(e.Kind)), r.IsAdmin);
            if (delivery == NotificationDelivery.Off) continue;
            db.Notifications.Add(new Notification(e.OrganisationId, r.UserId, e.Kind, e.ObjectType, e.ObjectId, link, json, e.OccurredAt));
            var mails = options.Enabled && !string.IsNullOrWhiteSpace(r.Email) && delivery is NotificationDelivery.Email or NotificationDelivery.Digest;
            if (mails)
            {
                var (subject, text, html) = NotificationTexts.Email(e.Kind, json, link, options.PortalUrl, names.GetValueOrDefault(r.UserId, ""),
                    NotificationTexts.CultureOf(r.Culture));
                db.EmailOutbox.Add(new EmailOutboxMessage(e.OrganisationId, r.UserId, r.Email!, NotificationTexts.CultureOf(r.Culture).Name, e.Kind, subject, text, html, e.OccurredAt,
                    digest: delivery == NotificationDelivery.Digest, link: link));
            }
            committed.Stage(db, r.UserId, mails && delivery == NotificationDelivery.Email);
        }
    }

    /// <summary>A request waiting for approval gets its one reminder; a decided one loses it.</summary>
    private static async Task ScheduleRemindersAsync(PortalDbContext db, PortalEvent e, CancellationToken ct)
    {
        if (e.ObjectType != "ExitRequest" || !long.TryParse(e.ObjectId, out var id)) return;
        if (e.Kind == EventKinds.ApprovalNeeded)
        {
            var request = await db.ExitRequests.FindAsync([id], ct);
            var sla = await db.Organisations.Where(o => o.Id == e.OrganisationId).Select(o => o.Policy.ApprovalSlaHours).SingleOrDefaultAsync(ct);
            // Routed to the admins at once: nobody to remind before the SLA (the escalation tells them again when it runs out).
            if (request is null || sla <= 0 || request.EscalatedAt is not null) return;
            if (!db.ApprovalReminders.Local.Any(r => r.ExitRequestId == id) && !await db.ApprovalReminders.AnyAsync(r => r.ExitRequestId == id, ct))
                db.ApprovalReminders.Add(new ApprovalReminder(e.OrganisationId, id, ApprovalReminder.DueFor(request.CreatedAt, sla)));
        }
        else if (e.Kind is EventKinds.ExitApproved or EventKinds.ExitRejected or EventKinds.ApprovalEscalated)
        {
            foreach (var reminder in await db.ApprovalReminders.Where(r => r.ExitRequestId == id && r.SentAt == null && r.CancelledAt == null).ToListAsync(ct))
                reminder.Cancel(e.OccurredAt);
        }
    }

    /// <summary>The names the texts need (class, member), when the raiser gave only ids.</summary>
    private static async Task<Dictionary<string, object?>> EnrichAsync(PortalDbContext db, PortalEvent e, CancellationToken ct)
    {
        var data = new Dictionary<string, object?>(e.Data ?? new Dictionary<string, object?>());
        if (e.ClassId is { } classId && !data.ContainsKey("class_name"))
            data["class_name"] = await db.Classes.IgnoreQueryFilters().Where(c => c.Id == classId && c.OrganisationId == e.OrganisationId)
                .Select(c => c.Name).FirstOrDefaultAsync(ct);
        if (e.MemberId is { } memberId && !data.ContainsKey("member_name"))
            data["member_name"] = await db.Members.IgnoreQueryFilters().Where(m => m.Id == memberId && m.OrganisationId == e.OrganisationId)
                .Select(m => m.DisplayName).FirstOrDefaultAsync(ct);
        if (e.ObjectId is not null) data.TryAdd("id", e.ObjectId);
        return data;
    }
}
