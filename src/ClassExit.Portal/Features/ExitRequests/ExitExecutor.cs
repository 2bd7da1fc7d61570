using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Exits.Policy;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.ExitRequests;

/// <summary>Counts of what an exit changed, for the audit entry.</summary>
public sealed record ExitEffects(int DocumentsReadOnly, int PollsToOwner, int ReplaysPrivate, int MessagesScheduled, DateTimeOffset? PurgeAfter,
    int DutiesHandedOver, long MembershipVersion);

/// <summary>
/// Carries an exit out: membership, content, retention, handover, sync version, notification. Runs inside the caller's
/// transaction; the caller writes the audit entry and commits.
/// </summary>
internal static class ExitExecutor
{
    public static async Task<ExitEffects> CompleteAsync(PortalDbContext db, ExitSnapshot.Loaded s, ExitRequest request, DateTimeOffset now, CancellationToken ct)
    {
        if (request.Id == 0) throw new InvalidOperationException("Save the exit request before completing it.");
        var forced = request.Kind is ExitKind.ForceRemoval or ExitKind.HrBatch;
        var role = s.Membership.Role;
        var classId = s.Class.Id;
        var memberId = s.Member.Id;

        s.Membership.Leave(now, forced, classDissolving: request.Kind == ExitKind.Dissolution);
        var version = s.Member.BumpMembershipVersion(now);
        db.MembershipChanges.Add(new Domain.Devices.MembershipChange(s.Organisation.Id, memberId, version, classId, request.Kind.ToString(), now));
        request.Complete(now);
        if (!request.Silent) db.ExitNotifications.Add(new ExitNotification(s.Organisation.Id, classId, memberId, request.Id, now));
        // The version tokens are checked here: a concurrent decision makes this throw and the transaction roll back.
        await db.SaveChangesAsync(ct);

        var handedOver = 0;
        foreach (var h in request.Handover)
        {
            handedOver += h.DutyKind switch
            {
                DutyKind.Assignment => await db.Assignments.Where(a => a.Id == h.DutyId && a.ClassId == classId)
                    .ExecuteUpdateAsync(u => u.SetProperty(a => a.ResponsibleMemberId, h.ToMemberId), ct),
                DutyKind.LiveStream => await db.LiveStreams.Where(l => l.Id == h.DutyId && l.ClassId == classId)
                    .ExecuteUpdateAsync(u => u.SetProperty(l => l.HostMemberId, h.ToMemberId), ct),
                _ => await db.Polls.Where(p => p.Id == h.DutyId && p.ClassId == classId)
                    .ExecuteUpdateAsync(u => u.SetProperty(p => p.OwnerMemberId, h.ToMemberId), ct),
            };
        }

        var documents = await db.SharedDocuments.Where(d => d.ClassId == classId && d.CreatorMemberId == memberId && d.EditMode != DocumentEditMode.ReadOnly)
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.EditMode, DocumentEditMode.ReadOnly), ct);
        var owner = s.Class.OwnerMemberId;
        var polls = owner == memberId ? 0 : await db.Polls.Where(p => p.ClassId == classId && p.OwnerMemberId == memberId)
            .ExecuteUpdateAsync(u => u.SetProperty(p => p.OwnerMemberId, owner), ct);
        var replays = await db.LiveReplays.Where(r => r.ClassId == classId && r.CreatorMemberId == memberId && r.Visibility != ReplayVisibility.Private)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Visibility, ReplayVisibility.Private), ct);

        var purgeAfter = RetentionRules.PurgeAfter(now, role, s.Member.IsEnterpriseAdmin, s.Class.Classification, s.Organisation.Policy);
        var permanent = purgeAfter is null;
        var messages = await db.ChatMessages.Where(m => m.ClassId == classId && m.SenderMemberId == memberId)
            .ExecuteUpdateAsync(u => u.SetProperty(m => m.PurgeAfter, purgeAfter).SetProperty(m => m.RetainedPermanently, permanent), ct);

        return new ExitEffects(documents, polls, replays, messages, purgeAfter, handedOver, version);
    }
}
