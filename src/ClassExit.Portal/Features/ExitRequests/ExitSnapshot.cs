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

        var openApproval = await db.ExitRequests.AnyAsync(e => e.ClassId == classId && e.MemberId == memberId && e.Id != ignoringRequestId
            && (e.Status == ExitRequestStatus.PendingApproval || e.Status == ExitRequestStatus.Approved), ct);
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

        // When an approver decides a request, that request itself is not "an unfinished approval" and its pending state counts as active.
        var state = ignoringRequestId is not null && membership.State == MembershipState.ExitPending ? MembershipState.Active : membership.State;
        var input = new ExitEvaluationInput(kind, membership.Role, state, member.OrgRole, member.Resignation, cls.Status, cls.Classification,
            cls.TermEndsOn, cls.ExitLocked, org.Policy, now, org.LocalDate(now), openApproval, checklistIds.Count, completed, duties, plan,
            successors.ToHashSet(), clientContext);
        return new Loaded(org, cls, member, membership, input, duties);
    }

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
