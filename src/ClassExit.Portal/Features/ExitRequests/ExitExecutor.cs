using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Exits.Policy;
using ClassExit.Portal.Domain.Notifications;
using ClassExit.Portal.Features.Notifications;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.ExitRequests;

/// <summary>Counts of what an exit changed, for the audit entry.</summary>
public sealed record ExitEffects(int DocumentsReadOnly, int PollsToOwner, int ReplaysPrivate, int MessagesScheduled, DateTimeOffset? PurgeAfter,
    int DutiesHandedOver, long MembershipVersion);

/// <summary>
/// Carries an exit out: membership, content, retention, handover, sync version, notification, and the <c>member.exited</c>
/// event (to webhooks: the messaging platform learns of every exit this way, silent or not). Runs inside the caller's
/// transaction; the caller writes the audit entry and commits.
/// </summary>
internal static class ExitExecutor
{
    public static async Task<ExitEffects> CompleteAsync(PortalDbContext db, PortalEvents events, ExitSnapshot.Loaded s, ExitRequest request,
        DateTimeOffset now, CancellationToken ct)
    {
        var role = s.Membership.Role;
        var classId = s.Class.Id;
        var memberId = s.Member.Id;

        var version = Leave(db, s, request, now);
        // The version tokens are checked here: a concurrent decision makes this throw and the transaction roll back.
        await db.SaveChangesAsync(ct);
        await events.RaiseAsync(db, Exited(s, request, version, now), ct);

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

    /// <summary>
    /// <c>member.exited</c>: class, member, exit kind, silent flag (<c>silent_mode</c> suppresses the notice to the class, never
    /// this event), membership version. <c>class_notice</c> says whether the platform should post the exit notice in the class:
    /// the <see cref="ExitNotification"/> row the portal records for it is delivered through this event.
    /// </summary>
    internal static PortalEvent Exited(ExitSnapshot.Loaded s, ExitRequest request, long version, DateTimeOffset now) =>
        new(s.Organisation.Id, EventKinds.MemberExited, now, "ExitRequest", request.Id.ToString(), s.Class.Id, s.Member.Id,
            new Dictionary<string, object?>
            {
                ["exit_request_id"] = request.Id,
                ["exit_kind"] = System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(request.Kind.ToString()),
                ["role"] = System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(s.Membership.Role.ToString()),
                ["silent"] = request.Silent,
                ["class_notice"] = !request.Silent,
                ["membership_version"] = version,
                ["exited_at"] = now.ToUniversalTime(),
            });

    /// <summary>The member leaves (membership, sync version, request, notification), in memory: the caller saves.</summary>
    private static long Leave(PortalDbContext db, ExitSnapshot.Loaded s, ExitRequest request, DateTimeOffset now)
    {
        if (request.Id == 0) throw new InvalidOperationException("Save the exit request before completing it.");
        var version = LeaveUnnotified(db, s, request, now);
        if (!request.Silent) db.ExitNotifications.Add(new ExitNotification(s.Organisation.Id, s.Class.Id, s.Member.Id, request.Id, now));
        return version;
    }

    /// <summary><see cref="Leave"/> but the notification (which needs the request's id): the request may be unsaved.</summary>
    private static long LeaveUnnotified(PortalDbContext db, ExitSnapshot.Loaded s, ExitRequest request, DateTimeOffset now)
    {
        var forced = request.Kind is ExitKind.ForceRemoval or ExitKind.HrBatch;
        s.Membership.Leave(now, forced, classDissolving: request.Kind == ExitKind.Dissolution);
        var version = s.Member.BumpMembershipVersion(now);
        db.MembershipChanges.Add(new Domain.Devices.MembershipChange(s.Organisation.Id, s.Member.Id, version, s.Class.Id, request.Kind.ToString(), now));
        request.Complete(now);
        return version;
    }

    /// <summary>
    /// <see cref="CompleteAsync"/> for many exits at once (HR bulk exits, no handover plan), with the same effects on each: the
    /// content of all of them changes in one statement per kind of content instead of four per exit. The requests may be unsaved
    /// (they are saved here); the caller saves the notifications with its audit entries. Runs inside the caller's transaction;
    /// returns each request's effects for its audit entry.
    /// </summary>
    public static async Task<IReadOnlyDictionary<ExitRequest, ExitEffects>> CompleteManyAsync(PortalDbContext db, PortalEvents events,
        IReadOnlyList<(ExitSnapshot.Loaded Snapshot, ExitRequest Request)> exits, DateTimeOffset now, CancellationToken ct)
    {
        if (exits.Any(e => e.Request.Handover.Count > 0)) throw new InvalidOperationException("Exits with a handover plan complete one by one.");
        // The requests are written completed in one insert each (not inserted, then updated); the notifications follow once their ids exist.
        var versions = exits.Select(e => LeaveUnnotified(db, e.Snapshot, e.Request, now)).ToList();
        await db.SaveChangesAsync(ct);
        if (exits.Count == 0) return new Dictionary<ExitRequest, ExitEffects>();
        foreach (var (s, request) in exits.Where(e => !e.Request.Silent))
            db.ExitNotifications.Add(new ExitNotification(s.Organisation.Id, s.Class.Id, s.Member.Id, request.Id, now));
        for (var i = 0; i < exits.Count; i++)
            await events.RaiseAsync(db, Exited(exits[i].Snapshot, exits[i].Request, versions[i], now), ct);

        var pairs = exits.Select(e => (e.Snapshot.Class.Id, e.Snapshot.Member.Id)).ToHashSet();
        var classIds = pairs.Select(p => p.Item1).Distinct().ToList();
        var memberIds = pairs.Select(p => p.Item2).Distinct().ToList();
        // Read the rows each pair touches (the classes × members superset, narrowed to the pairs here), then change them by id.
        var documents = (await db.SharedDocuments.Where(d => EF.Parameter(classIds).Contains(d.ClassId) && EF.Parameter(memberIds).Contains(d.CreatorMemberId)
                && d.EditMode != DocumentEditMode.ReadOnly).Select(d => new { d.Id, d.ClassId, MemberId = d.CreatorMemberId }).ToListAsync(ct))
            .Where(d => pairs.Contains((d.ClassId, d.MemberId))).ToList();
        var polls = (await db.Polls.Where(p => EF.Parameter(classIds).Contains(p.ClassId) && EF.Parameter(memberIds).Contains(p.OwnerMemberId))
                .Select(p => new { p.Id, p.ClassId, MemberId = p.OwnerMemberId }).ToListAsync(ct))
            .Where(p => pairs.Contains((p.ClassId, p.MemberId))).ToList();
        var replays = (await db.LiveReplays.Where(r => EF.Parameter(classIds).Contains(r.ClassId) && EF.Parameter(memberIds).Contains(r.CreatorMemberId)
                && r.Visibility != ReplayVisibility.Private).Select(r => new { r.Id, r.ClassId, MemberId = r.CreatorMemberId }).ToListAsync(ct))
            .Where(r => pairs.Contains((r.ClassId, r.MemberId))).ToList();
        var messages = (await db.ChatMessages.Where(m => EF.Parameter(classIds).Contains(m.ClassId) && EF.Parameter(memberIds).Contains(m.SenderMemberId))
                .Select(m => new { m.Id, m.ClassId, MemberId = m.SenderMemberId }).ToListAsync(ct))
            .Where(m => pairs.Contains((m.ClassId, m.MemberId))).ToList();

        if (documents.Count > 0)
        {
            var ids = documents.Select(d => d.Id).ToList();
            await db.SharedDocuments.Where(d => EF.Parameter(ids).Contains(d.Id)).ExecuteUpdateAsync(u => u.SetProperty(d => d.EditMode, DocumentEditMode.ReadOnly), ct);
        }
        // Polls go to their class's owner (never the leaver's own: an owner does not leave this way).
        var owners = exits.Select(e => e.Snapshot.Class).DistinctBy(c => c.Id).ToDictionary(c => c.Id, c => c.OwnerMemberId);
        var movedPolls = polls.Where(p => owners[p.ClassId] != p.MemberId).ToList();
        foreach (var byOwner in movedPolls.GroupBy(p => owners[p.ClassId]))
        {
            var ids = byOwner.Select(p => p.Id).ToList();
            var owner = byOwner.Key;
            await db.Polls.Where(p => EF.Parameter(ids).Contains(p.Id)).ExecuteUpdateAsync(u => u.SetProperty(p => p.OwnerMemberId, owner), ct);
        }
        if (replays.Count > 0)
        {
            var ids = replays.Select(r => r.Id).ToList();
            await db.LiveReplays.Where(r => EF.Parameter(ids).Contains(r.Id)).ExecuteUpdateAsync(u => u.SetProperty(r => r.Visibility, ReplayVisibility.Private), ct);
        }
        var purgeAfter = exits.ToDictionary(e => (e.Snapshot.Class.Id, e.Snapshot.Member.Id), e => RetentionRules.PurgeAfter(now, e.Snapshot.Membership.Role,
            e.Snapshot.Member.IsEnterpriseAdmin, e.Snapshot.Class.Classification, e.Snapshot.Organisation.Policy));
        foreach (var byPurge in messages.GroupBy(m => purgeAfter[(m.ClassId, m.MemberId)]))
        {
            var ids = byPurge.Select(m => m.Id).ToList();
            var after = byPurge.Key;
            var permanent = after is null;
            await db.ChatMessages.Where(m => EF.Parameter(ids).Contains(m.Id))
                .ExecuteUpdateAsync(u => u.SetProperty(m => m.PurgeAfter, after).SetProperty(m => m.RetainedPermanently, permanent), ct);
        }

        var documentCounts = documents.CountBy(d => (d.ClassId, d.MemberId)).ToDictionary();
        var pollCounts = movedPolls.CountBy(p => (p.ClassId, p.MemberId)).ToDictionary();
        var replayCounts = replays.CountBy(r => (r.ClassId, r.MemberId)).ToDictionary();
        var messageCounts = messages.CountBy(m => (m.ClassId, m.MemberId)).ToDictionary();
        var effects = new Dictionary<ExitRequest, ExitEffects>(exits.Count);
        for (var i = 0; i < exits.Count; i++)
        {
            var (s, request) = exits[i];
            var key = (s.Class.Id, s.Member.Id);
            effects[request] = new ExitEffects(documentCounts.GetValueOrDefault(key), pollCounts.GetValueOrDefault(key), replayCounts.GetValueOrDefault(key),
                messageCounts.GetValueOrDefault(key), purgeAfter[key], 0, versions[i]);
        }
        return effects;
    }
}
