using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Exits.Policy;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.ExitRequests;

/// <summary>Loads what the policy engine needs about one member in one class. Read-only; runs in the caller's context and transaction.</summary>
internal static class ExitSnapshot
{
    public sealed record Loaded(Domain.Organisations.Organisation Organisation, ClassGroup Class, Member Member, Membership Membership, ExitEvaluationInput Input,
        IReadOnlyList<OpenDuty> Duties);

    public static async Task<Loaded?> LoadAsync(PortalDbContext db, long classId, long memberId, ExitKind kind, DateTimeOffset now,
        IReadOnlyList<PlannedHandover>? plan, ClientRequestInfo? client, long? ignoringRequestId, CancellationToken ct)
    {
        var cls = await db.Classes.Include(c => c.Checklist).SingleOrDefaultAsync(c => c.Id == classId, ct);
        var member = await db.Members.SingleOrDefaultAsync(m => m.Id == memberId, ct);
        if (cls is null || member is null) return null;
        var membership = await db.Memberships.SingleOrDefaultAsync(m => m.ClassId == classId && m.MemberId == memberId, ct);
        if (membership is null) return null;
        var org = await db.Organisations.SingleAsync(o => o.Id == cls.OrganisationId, ct);

        var openApproval = await db.ExitRequests.Where(ExitRequest.Open).AnyAsync(e => e.ClassId == classId && e.MemberId == memberId && e.Id != ignoringRequestId, ct);
        var checklistIds = cls.Checklist.Select(i => i.Id).ToList();
        var completed = checklistIds.Count == 0 ? 0
            : await db.HandoverCompletions.CountAsync(h => h.MemberId == memberId && checklistIds.Contains(h.ChecklistItemId), ct);

        var duties = await OpenDutiesAsync(db, classId, memberId, ct);
        var successors = await db.Memberships
            .Where(m => m.ClassId == classId && m.MemberId != memberId && m.State == MembershipState.Active
                && (m.Role == ClassRole.Teacher || m.Role == ClassRole.ClassAdmin || m.Role == ClassRole.Owner))
            .Select(m => m.MemberId).ToListAsync(ct);

        ClientContext? clientContext = null;
        if (client is not null)
        {
            var device = await db.Devices.AsNoTracking().Where(d => d.Id == client.DeviceId).Select(d => new { d.MemberId, d.IsBound }).SingleOrDefaultAsync(ct);
            clientContext = new ClientContext(client.ClientVersion, client.DeviceTime,
                new DeviceSnapshot(client.DeviceId, device is not null, device?.MemberId == memberId, device?.IsBound == true));
        }

        return Assemble(org, cls, member, membership, kind, now, plan, clientContext, ignoringRequestId is not null, openApproval, completed,
            duties, successors.ToHashSet());
    }

    /// <summary>The snapshot from its loaded facts: the one place that turns them into the engine's input (single and batch loads).</summary>
    private static Loaded Assemble(Domain.Organisations.Organisation org, ClassGroup cls, Member member, Membership membership, ExitKind kind,
        DateTimeOffset now, IReadOnlyList<PlannedHandover>? plan, ClientContext? clientContext, bool decidingARequest, bool openApproval,
        int checklistCompleted, IReadOnlyList<OpenDuty> duties, IReadOnlySet<long> successors)
    {
        // When an approver decides a request, that request itself is not "an unfinished approval" and its pending state counts as active.
        var state = decidingARequest && membership.State == MembershipState.ExitPending ? MembershipState.Active : membership.State;
        var input = new ExitEvaluationInput(kind, membership.Role, state, member.OrgRole, member.Resignation, cls.Status, cls.Classification,
            cls.TermEndsOn, cls.ExitLocked, org.Policy, now, org.LocalDate(now), openApproval, cls.Checklist.Count, checklistCompleted, duties, plan,
            successors, clientContext);
        return new Loaded(org, cls, member, membership, input, duties);
    }

    /// <summary>
    /// The snapshots of many (class, member) pairs in a fixed number of queries, each exactly what <see cref="LoadAsync"/> gives for
    /// that pair with no handover plan and no client (HR bulk exits). Pairs whose class, member or membership is unknown are absent.
    /// Tracked like <see cref="LoadAsync"/>, so that the caller can carry the exits out in the same context; the pending requests of
    /// the pairs come tracked too (<see cref="Batch.OpenRequests"/>), for a removal to supersede them.
    /// </summary>
    public static async Task<Batch> LoadManyAsync(PortalDbContext db, IReadOnlyCollection<(long ClassId, long MemberId)> pairs, ExitKind kind,
        DateTimeOffset now, CancellationToken ct)
    {
        var classIds = pairs.Select(p => p.ClassId).Distinct().ToList();
        var memberIds = pairs.Select(p => p.MemberId).Distinct().ToList();
        // One JSON parameter per list (not one parameter per id): cheap to bind at a thousand ids, and one cached plan.
        var classes = await db.Classes.Include(c => c.Checklist).Where(c => EF.Parameter(classIds).Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct);
        var members = await db.Members.Where(m => EF.Parameter(memberIds).Contains(m.Id)).ToDictionaryAsync(m => m.Id, ct);
        var memberships = (await db.Memberships
                .Where(m => EF.Parameter(classIds).Contains(m.ClassId) && EF.Parameter(memberIds).Contains(m.MemberId)).ToListAsync(ct))
            .ToDictionary(m => (m.ClassId, m.MemberId));
        var orgIds = classes.Values.Select(c => c.OrganisationId).Distinct().ToList();
        var organisations = await db.Organisations.Where(o => EF.Parameter(orgIds).Contains(o.Id)).ToDictionaryAsync(o => o.Id, ct);

        var open = await db.ExitRequests.Where(ExitRequest.Open).Where(e => EF.Parameter(classIds).Contains(e.ClassId) && EF.Parameter(memberIds).Contains(e.MemberId)).ToListAsync(ct);
        var openByPair = open.ToLookup(e => (e.ClassId, e.MemberId));
        var checklistIds = classes.Values.SelectMany(c => c.Checklist).Select(i => i.Id).ToList();
        var completions = checklistIds.Count == 0 ? []
            : await db.HandoverCompletions.Where(h => EF.Parameter(memberIds).Contains(h.MemberId) && EF.Parameter(checklistIds).Contains(h.ChecklistItemId))
                .Select(h => new { h.MemberId, h.ChecklistItemId }).ToListAsync(ct);
        var completedByMember = completions.ToLookup(h => h.MemberId, h => h.ChecklistItemId);

        var assignments = await db.Assignments.AsNoTracking().Where(Assignment.Unfinished)
            .Where(a => EF.Parameter(classIds).Contains(a.ClassId)
                && (EF.Parameter(memberIds).Contains(a.CreatorMemberId) || EF.Parameter(memberIds).Contains(a.ResponsibleMemberId)))
            .Select(a => new { a.Id, a.ClassId, a.Title, a.CreatorMemberId, a.ResponsibleMemberId }).ToListAsync(ct);
        var streams = await db.LiveStreams.AsNoTracking().Where(LiveStream.Unfinished)
            .Where(l => EF.Parameter(classIds).Contains(l.ClassId)
                && (EF.Parameter(memberIds).Contains(l.CreatorMemberId) || EF.Parameter(memberIds).Contains(l.HostMemberId)))
            .Select(l => new { l.Id, l.ClassId, l.Title, l.CreatorMemberId, l.HostMemberId }).ToListAsync(ct);
        var assignmentsByClass = assignments.ToLookup(a => a.ClassId);
        var streamsByClass = streams.ToLookup(l => l.ClassId);
        var successorsByClass = (await db.Memberships
                .Where(m => EF.Parameter(classIds).Contains(m.ClassId) && m.State == MembershipState.Active
                    && (m.Role == ClassRole.Teacher || m.Role == ClassRole.ClassAdmin || m.Role == ClassRole.Owner))
                .Select(m => new { m.ClassId, m.MemberId }).ToListAsync(ct))
            .ToLookup(m => m.ClassId, m => m.MemberId);

        var loaded = new Dictionary<(long, long), Loaded>(pairs.Count);
        foreach (var (classId, memberId) in pairs)
        {
            if (!classes.TryGetValue(classId, out var cls) || !members.TryGetValue(memberId, out var member)
                || !memberships.TryGetValue((classId, memberId), out var membership)) continue;
            var org = organisations[cls.OrganisationId];
            var itemIds = cls.Checklist.Select(i => i.Id).ToHashSet();
            var completed = itemIds.Count == 0 ? 0 : completedByMember[memberId].Count(itemIds.Contains);
            // The order of LoadAsync's OpenDutiesAsync: assignments, then streams.
            IReadOnlyList<OpenDuty> duties =
            [
                .. assignmentsByClass[classId].Where(a => a.CreatorMemberId == memberId || a.ResponsibleMemberId == memberId)
                    .Select(a => new OpenDuty(DutyKind.Assignment, a.Id, a.Title, a.CreatorMemberId == memberId, a.ResponsibleMemberId == memberId)),
                .. streamsByClass[classId].Where(l => l.CreatorMemberId == memberId || l.HostMemberId == memberId)
                    .Select(l => new OpenDuty(DutyKind.LiveStream, l.Id, l.Title, l.CreatorMemberId == memberId, l.HostMemberId == memberId)),
            ];
            var successors = successorsByClass[classId].Where(m => m != memberId).ToHashSet();
            loaded[(classId, memberId)] = Assemble(org, cls, member, membership, kind, now, null, null, false,
                openByPair[(classId, memberId)].Any(), completed, duties, successors);
        }
        return new Batch(loaded, openByPair);
    }

    /// <summary>Many pairs' snapshots (<see cref="LoadManyAsync"/>).</summary>
    public sealed record Batch(IReadOnlyDictionary<(long ClassId, long MemberId), Loaded> Pairs, ILookup<(long ClassId, long MemberId), ExitRequest> OpenRequests);

    public static async Task<IReadOnlyList<OpenDuty>> OpenDutiesAsync(PortalDbContext db, long classId, long memberId, CancellationToken ct)
    {
        var assignments = await db.Assignments.AsNoTracking().Where(Assignment.Unfinished)
            .Where(a => a.ClassId == classId && (a.CreatorMemberId == memberId || a.ResponsibleMemberId == memberId))
            .Select(a => new OpenDuty(DutyKind.Assignment, a.Id, a.Title, a.CreatorMemberId == memberId, a.ResponsibleMemberId == memberId))
            .ToListAsync(ct);
        var streams = await db.LiveStreams.AsNoTracking().Where(LiveStream.Unfinished)
            .Where(l => l.ClassId == classId && (l.CreatorMemberId == memberId || l.HostMemberId == memberId))
            .Select(l => new OpenDuty(DutyKind.LiveStream, l.Id, l.Title, l.CreatorMemberId == memberId, l.HostMemberId == memberId))
            .ToListAsync(ct);
        return [.. assignments, .. streams];
    }
}
