using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Notifications;
using ClassExit.Portal.Features.ExitRequests;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Notifications;

/// <summary>One portal account told of an event.</summary>
public sealed record Recipient(string UserId, long? MemberId, string? Email, string Culture, bool IsAdmin);

/// <summary>
/// Who is told of an event, from the authorization rules and never from a list: the approvers of the class
/// (<see cref="ApproverPool"/>), the organisation's enterprise admins, the requester, the transfer's parties, the batch's operator.
/// Always accounts of the event's own organisation, enabled, and holding a role that opens the notification's link.
/// </summary>
public static class NotificationRecipients
{
    /// <summary>Where a notification of this kind links, and which portal roles open that page (its page's policy).</summary>
    public static (string Link, string[] Roles) LinkOf(PortalEvent e) => e.Kind switch
    {
        EventKinds.ApprovalNeeded or EventKinds.ApprovalReminder or EventKinds.ApprovalEscalated =>
            ($"/exits/{e.ObjectId}", [PortalRoles.EnterpriseAdmin, PortalRoles.SchoolStaff]),
        EventKinds.ExitApproved or EventKinds.ExitRejected => ($"/exits/{e.ObjectId}", AnyOrganisationRole),
        EventKinds.TransferOffered or EventKinds.TransferAccepted or EventKinds.TransferDeclined or EventKinds.TransferExpired =>
            ("/transfers", AnyOrganisationRole),
        EventKinds.BatchFinished => ($"/batches/{e.ObjectId}", [PortalRoles.EnterpriseAdmin, PortalRoles.HrOperator]),
        EventKinds.PurgeFinished => ("/retention", [PortalRoles.EnterpriseAdmin, PortalRoles.HrOperator, PortalRoles.Auditor]),
        EventKinds.KeyClassExitAttempt => ("/audit?security=true", [PortalRoles.EnterpriseAdmin, PortalRoles.Auditor]),
        EventKinds.DevicesStale => ("/sync-health", [PortalRoles.EnterpriseAdmin, PortalRoles.HrOperator, PortalRoles.Auditor]),
        EventKinds.ApiKeyExpiring or EventKinds.ApiKeyRevoked => ("/api-keys", [PortalRoles.EnterpriseAdmin, PortalRoles.HrOperator]),
        EventKinds.QuotaDecided => ("/quota", [PortalRoles.EnterpriseAdmin, PortalRoles.HrOperator]),
        _ => ("/notifications", AnyOrganisationRole),
    };

    private static readonly string[] AnyOrganisationRole =
        [PortalRoles.EnterpriseAdmin, PortalRoles.HrOperator, PortalRoles.SchoolStaff, PortalRoles.Auditor];

    public static async Task<IReadOnlyList<Recipient>> ForAsync(PortalDbContext db, PortalEvent e, CancellationToken ct)
    {
        var (_, roles) = LinkOf(e);
        var members = await MembersAsync(db, e, ct);
        var admins = members.Admins;
        if (members.Ids.Count == 0 && !admins) return [];
        var accounts = await (from u in db.Users
                              join ur in db.UserRoles on u.Id equals ur.UserId
                              join r in db.Roles on ur.RoleId equals r.Id
                              where u.OrganisationId == e.OrganisationId && !u.IsDisabled
                              select new { u.Id, u.MemberId, u.Email, u.PreferredCulture, Role = r.Name! }).ToListAsync(ct);
        var actor = e.Data?.GetValueOrDefault("actor_member_id") is { } a ? Convert.ToInt64(a, System.Globalization.CultureInfo.InvariantCulture) : (long?)null;
        return accounts.GroupBy(x => x.Id)
            .Select(g => new
            {
                g.First().Id, g.First().MemberId, g.First().Email, g.First().PreferredCulture,
                IsAdmin = g.Any(x => x.Role == PortalRoles.EnterpriseAdmin), Opens = g.Any(x => roles.Contains(x.Role)),
            })
            .Where(x => x.Opens && (x.MemberId is { } m && members.Ids.Contains(m) || admins && x.IsAdmin))
            .Where(x => actor is null || x.MemberId != actor)
            .OrderBy(x => x.Id, StringComparer.Ordinal)
            .Select(x => new Recipient(x.Id, x.MemberId, x.Email, x.PreferredCulture ?? "zh-CN", x.IsAdmin))
            .ToList();
    }

    private sealed record Members(HashSet<long> Ids, bool Admins);

    private static async Task<Members> MembersAsync(PortalDbContext db, PortalEvent e, CancellationToken ct)
    {
        long Id() => long.Parse(e.ObjectId!, System.Globalization.CultureInfo.InvariantCulture);
        switch (e.Kind)
        {
            case EventKinds.ApprovalNeeded or EventKinds.ApprovalReminder:
            {
                var request = await db.ExitRequests.FindAsync([Id()], ct);
                if (request is null) return new([], false);
                // Routed to the admins at once (separation of duties left nobody in the class): the admins who may decide it.
                var ids = request.EscalatedAt is not null
                    ? await ApproverPool.AdminsAsync(db, e.OrganisationId, request, ct)
                    : await ApproverPool.ClassApproversAsync(db, e.OrganisationId, request, ct);
                return new([.. ids], false);
            }
            case EventKinds.ApprovalEscalated:
            {
                var request = await db.ExitRequests.FindAsync([Id()], ct);
                return request is null ? new([], false) : new([.. await ApproverPool.AdminsAsync(db, e.OrganisationId, request, ct)], false);
            }
            case EventKinds.ExitApproved or EventKinds.ExitRejected:
            {
                var request = await db.ExitRequests.FindAsync([Id()], ct);
                return new(request?.RequestedByMemberId is { } r ? [r] : [], false);
            }
            case EventKinds.TransferOffered or EventKinds.TransferAccepted or EventKinds.TransferDeclined or EventKinds.TransferExpired:
            {
                var t = await db.OwnershipTransfers.FindAsync([Id()], ct);
                if (t is null) return new([], false);
                return e.Kind switch
                {
                    EventKinds.TransferOffered => new([t.ToMemberId], false),
                    EventKinds.TransferExpired => new([t.ToMemberId, t.ProposedByMemberId, t.FromMemberId], false),
                    _ => new([t.ProposedByMemberId, t.FromMemberId], false),
                };
            }
            case EventKinds.BatchFinished:
            {
                var batch = await db.BatchExits.FindAsync([Id()], ct);
                if (batch is null) return new([], false);
                // A batch of an API key: its owner and the organisation's admins (nobody watched it in the portal).
                return new([batch.OperatorMemberId], batch.ApiKeyId is not null);
            }
            case EventKinds.ApiKeyExpiring or EventKinds.ApiKeyRevoked:
            {
                var key = await db.ApiKeys.FindAsync([Id()], ct);
                return new(key is null ? [] : [key.OwnerMemberId], true);
            }
            case EventKinds.QuotaDecided:
            {
                var q = await db.QuotaIncreaseRequests.FindAsync([Id()], ct);
                return new(q is null ? [] : [q.RequestedByMemberId], true);
            }
            case EventKinds.PurgeFinished or EventKinds.KeyClassExitAttempt or EventKinds.DevicesStale:
                return new([], true);
            default:
                return new([], false);
        }
    }
}
