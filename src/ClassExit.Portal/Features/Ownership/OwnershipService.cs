using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Ownership;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Features.Ownership;

/// <summary>
/// Class ownership: propose, accept, decline, cancel, expire, force; and dissolution. A class always has exactly one owner:
/// ownership moves only through <see cref="OwnershipRules"/>, in one transaction with its audit entry, guarded by version tokens
/// and by the database's one-owner index.
/// </summary>
public sealed class OwnershipService(TenantDb tenantDb, TimeProvider clock, StepUpVerifier stepUp, IOptions<OwnershipOptions> options,
    PortalAuthorizer authorizer, Notifications.PortalEvents events)
{
    public async Task<IReadOnlyList<TransferCandidate>> CandidatesAsync(long classId, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        return await (from ms in db.Memberships
                      join m in db.Members on ms.MemberId equals m.Id
                      where ms.ClassId == classId && ms.State == MembershipState.Active && (ms.Role == ClassRole.Teacher || ms.Role == ClassRole.ClassAdmin)
                      orderby ms.Role descending, m.DisplayName
                      select new TransferCandidate(m.Id, m.DisplayName, ms.Role, m.Email, m.EmployeeNo)).ToListAsync(ct);
    }

    /// <summary>The owner's open duties that can go with the class: grading, live streams, polls.</summary>
    public async Task<IReadOnlyList<TransferableDuty>> OwnerDutiesAsync(long classId, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var owner = await db.Classes.Where(c => c.Id == classId).Select(c => (long?)c.OwnerMemberId).SingleOrDefaultAsync(ct);
        return owner is null ? [] : await OwnerDutiesAsync(db, classId, owner.Value, ct);
    }

    public async Task<OwnershipResult> ProposeAsync(long classId, long toMemberId, string? message, IReadOnlyList<(DutyKind Kind, long Id)> duties, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        var now = clock.GetUtcNow();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await AuthorizeClassAsync(db, user, PortalAction.ProposeTransfer, classId, toMemberId, ct) is { } refused) return OwnershipResult.Fail(refused);
        if (await InputLimits.CheckAsync(db, user, clock, "ownership.proposed", ct, new TextInput("transfer_message", message, TextLimits.TransferMessage)) is { } tooLong)
            return OwnershipResult.Fail(tooLong);
        if (await InputLimits.CheckListAsync(db, user, clock, "ownership.proposed", "duties", OwnershipTransfer.FormatDuties(duties)?.Length ?? 0,
                TextLimits.DutySelection, ct) is { } tooMany)
            return OwnershipResult.Fail(tooMany);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var cls = await db.Classes.SingleAsync(c => c.Id == classId, ct);
        if (cls.Status == ClassStatus.Dissolved) return OwnershipResult.Fail(ErrorCatalogue.ClassDissolved);
        if (!await IsEligibleAsync(db, classId, toMemberId, ct)) return OwnershipResult.Fail(ErrorCatalogue.TransferTargetNotEligible);
        if (await db.OwnershipTransfers.AnyAsync(t => t.ClassId == classId && t.Status == TransferStatus.Pending, ct))
            return OwnershipResult.Fail(ErrorCatalogue.TransferAlreadyPending);

        var transfer = new OwnershipTransfer(cls.OrganisationId, classId, cls.OwnerMemberId, toMemberId, user.MemberId ?? 0, now,
            now.AddDays(options.Value.ProposalLifetimeDays), string.IsNullOrWhiteSpace(message) ? null : message.Trim(), OwnershipTransfer.FormatDuties(duties));
        db.OwnershipTransfers.Add(transfer);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The one-pending-per-class index caught a concurrent proposal.
            return OwnershipResult.Fail(ErrorCatalogue.TransferAlreadyPending);
        }
        AuditLog.Add(db, cls.OrganisationId, AuditActor.From(user), now, "ownership.proposed", AuditOutcome.Succeeded, "OwnershipTransfer", transfer.Id.ToString(),
            classId, toMemberId, details: new { from = cls.OwnerMemberId, to = toMemberId, duties = transfer.DutySelection, expires = transfer.ExpiresAt });
        await events.RaiseAsync(db, TransferEvent(transfer, Domain.Notifications.EventKinds.TransferOffered, now, user), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return OwnershipResult.Ok(transfer.Id);
    }

    /// <summary>A transfer event: the addressee or the proposer is told (<see cref="Notifications.NotificationRecipients"/>).</summary>
    internal static Notifications.PortalEvent TransferEvent(OwnershipTransfer transfer, string kind, DateTimeOffset now, PortalPrincipal? user) =>
        new(transfer.OrganisationId, kind, now, "OwnershipTransfer", transfer.Id.ToString(), transfer.ClassId, transfer.ToMemberId,
            new Dictionary<string, object?> { ["actor_member_id"] = user?.MemberId, ["by"] = user?.Name });

    public Task<OwnershipResult> AcceptAsync(long transferId, int expectedVersion, CancellationToken ct = default) =>
        AnswerAsync(transferId, expectedVersion, accept: true, null, ct);

    /// <summary>Declines with the reason the proposer is given (required, kept in the audit entry's details).</summary>
    public Task<OwnershipResult> DeclineAsync(long transferId, int expectedVersion, string reason, CancellationToken ct = default) =>
        AnswerAsync(transferId, expectedVersion, accept: false, reason, ct);

    private async Task<OwnershipResult> AnswerAsync(long transferId, int expectedVersion, bool accept, string? reason, CancellationToken ct)
    {
        var user = await tenantDb.UserAsync();
        var now = clock.GetUtcNow();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await AuthorizeTransferAsync(db, user, PortalAction.AnswerTransfer, transferId, ct) is { } refused) return OwnershipResult.Fail(refused);
        if (!accept)
        {
            if (string.IsNullOrWhiteSpace(reason)) return OwnershipResult.Fail(ErrorCatalogue.DeclineReasonRequired);
            if (await InputLimits.CheckAsync(db, user, clock, "ownership.declined", ct, new TextInput("decline_reason", reason, TextLimits.Reason)) is { } tooLong)
                return OwnershipResult.Fail(tooLong);
        }
        try
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var transfer = await db.OwnershipTransfers.SingleAsync(t => t.Id == transferId, ct);
            if (transfer.Status != TransferStatus.Pending || transfer.Version != expectedVersion) return OwnershipResult.Fail(ErrorCatalogue.TransferNotPending);
            if (transfer.IsExpiredAt(now)) return OwnershipResult.Fail(ErrorCatalogue.TransferExpired);
            var actor = AuditActor.From(user);
            if (!accept)
            {
                transfer.Decline(now);
                AuditLog.Add(db, transfer.OrganisationId, actor, now, "ownership.declined", AuditOutcome.Succeeded, "OwnershipTransfer", transfer.Id.ToString(), transfer.ClassId,
                    details: new { reason = reason!.Trim() });
                await events.RaiseAsync(db, TransferEvent(transfer, Domain.Notifications.EventKinds.TransferDeclined, now, user), ct);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                return OwnershipResult.Ok(transfer.Id);
            }
            var cls = await db.Classes.SingleAsync(c => c.Id == transfer.ClassId, ct);
            if (cls.OwnerMemberId != transfer.FromMemberId) return OwnershipResult.Fail(ErrorCatalogue.TransferNotPending);
            transfer.Accept(now);
            var moved = await MoveOwnershipAsync(db, cls, transfer.ToMemberId, transfer.Duties, ct);
            if (moved is { } failure) return OwnershipResult.Fail(failure);
            AuditLog.Add(db, transfer.OrganisationId, actor, now, "ownership.accepted", AuditOutcome.Succeeded, "OwnershipTransfer", transfer.Id.ToString(),
                transfer.ClassId, transfer.ToMemberId, details: new { from = transfer.FromMemberId, to = transfer.ToMemberId, duties = transfer.DutySelection });
            await events.RaiseAsync(db, TransferEvent(transfer, Domain.Notifications.EventKinds.TransferAccepted, now, user), ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return OwnershipResult.Ok(transfer.Id);
        }
        catch (DbUpdateException)
        {
            // A concurrent accept or forced transfer won (version token or the one-owner index): this one changed nothing.
            return OwnershipResult.Fail(ErrorCatalogue.TransferNotPending);
        }
    }

    public async Task<OwnershipResult> CancelAsync(long transferId, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        var now = clock.GetUtcNow();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await AuthorizeTransferAsync(db, user, PortalAction.CancelTransfer, transferId, ct) is { } refused) return OwnershipResult.Fail(refused);
        var transfer = await db.OwnershipTransfers.SingleAsync(t => t.Id == transferId, ct);
        if (transfer.Status != TransferStatus.Pending) return OwnershipResult.Fail(ErrorCatalogue.TransferNotPending);
        transfer.Cancel(now);
        AuditLog.Add(db, transfer.OrganisationId, AuditActor.From(user), now, "ownership.cancelled", AuditOutcome.Succeeded, "OwnershipTransfer", transfer.Id.ToString(), transfer.ClassId);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return OwnershipResult.Fail(ErrorCatalogue.TransferNotPending);
        }
        return OwnershipResult.Ok(transfer.Id);
    }

    /// <summary>An enterprise admin moves ownership without acceptance (e.g. the owner resigned), after step-up. A security event.</summary>
    public async Task<OwnershipResult> ForceAsync(long classId, long toMemberId, string password, string reason, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await AuthorizeClassAsync(db, user, PortalAction.ForceTransfer, classId, toMemberId, ct) is { } refused) return OwnershipResult.Fail(refused);
        if (!await stepUp.VerifyAsync(user, password, "ownership.forced", db, ct)) return OwnershipResult.Fail(ErrorCatalogue.StepUpFailed);
        if (string.IsNullOrWhiteSpace(reason)) return OwnershipResult.Fail(ErrorCatalogue.RejectReasonRequired);
        if (await InputLimits.CheckAsync(db, user, clock, "ownership.forced", ct, new TextInput("force_transfer_reason", reason, TextLimits.Reason)) is { } tooLong)
            return OwnershipResult.Fail(tooLong);
        var now = clock.GetUtcNow();
        try
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var cls = await db.Classes.SingleOrDefaultAsync(c => c.Id == classId, ct);
            if (cls is null) return OwnershipResult.Fail(ErrorCatalogue.NotFound);
            if (cls.Status == ClassStatus.Dissolved) return OwnershipResult.Fail(ErrorCatalogue.ClassDissolved);
            if (!await IsEligibleAsync(db, classId, toMemberId, ct)) return OwnershipResult.Fail(ErrorCatalogue.TransferTargetNotEligible);
            // A pending proposal is superseded.
            foreach (var pending in await db.OwnershipTransfers.Where(t => t.ClassId == classId && t.Status == TransferStatus.Pending).ToListAsync(ct))
                pending.Cancel(now);
            var from = cls.OwnerMemberId;
            var record = OwnershipTransfer.Forced(cls.OrganisationId, classId, from, toMemberId, user.MemberId ?? 0, now, reason.Trim());
            db.OwnershipTransfers.Add(record);
            // Pending proposals are cancelled first, so the one-pending index never sees two rows.
            await db.SaveChangesAsync(ct);
            var duties = (await OwnerDutiesAsync(db, classId, from, ct)).Select(d => (d.Kind, d.Id)).ToList();
            var moved = await MoveOwnershipAsync(db, cls, toMemberId, duties, ct);
            if (moved is { } failure) return OwnershipResult.Fail(failure);
            AuditLog.Add(db, cls.OrganisationId, AuditActor.From(user), now, "ownership.forced", AuditOutcome.Succeeded, "OwnershipTransfer", record.Id.ToString(),
                classId, toMemberId, securityEvent: true, details: new { from, to = toMemberId, reason, duties = OwnershipTransfer.FormatDuties(duties) });
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return OwnershipResult.Ok(record.Id);
        }
        catch (DbUpdateException)
        {
            return OwnershipResult.Fail(ErrorCatalogue.TransferNotPending);
        }
    }

    /// <summary>Swaps owner and moves the chosen duties; the caller saves. Returns a code when the class cannot change hands now.</summary>
    private static async Task<int?> MoveOwnershipAsync(PortalDbContext db, ClassGroup cls, long toMemberId, IReadOnlyList<(DutyKind Kind, long Id)> duties, CancellationToken ct)
    {
        var current = await db.Memberships.SingleOrDefaultAsync(m => m.ClassId == cls.Id && m.MemberId == cls.OwnerMemberId && m.Role == ClassRole.Owner, ct);
        var next = await db.Memberships.SingleOrDefaultAsync(m => m.ClassId == cls.Id && m.MemberId == toMemberId, ct);
        if (current is null || next is null || next.State != MembershipState.Active || next.Role is not (ClassRole.Teacher or ClassRole.ClassAdmin))
            return ErrorCatalogue.TransferTargetNotEligible;
        var from = cls.OwnerMemberId;
        // Demotion is saved before promotion: the one-owner index must never see two owners.
        await OwnershipRules.TransferOwnershipAsync(cls, current, next, () => db.SaveChangesAsync(ct));
        foreach (var (kind, id) in duties)
        {
            _ = kind switch
            {
                DutyKind.Assignment => await db.Assignments.Where(a => a.Id == id && a.ClassId == cls.Id && a.ResponsibleMemberId == from)
                    .ExecuteUpdateAsync(u => u.SetProperty(a => a.ResponsibleMemberId, toMemberId), ct),
                DutyKind.LiveStream => await db.LiveStreams.Where(l => l.Id == id && l.ClassId == cls.Id && l.HostMemberId == from)
                    .ExecuteUpdateAsync(u => u.SetProperty(l => l.HostMemberId, toMemberId), ct),
                _ => await db.Polls.Where(p => p.Id == id && p.ClassId == cls.Id && p.OwnerMemberId == from)
                    .ExecuteUpdateAsync(u => u.SetProperty(p => p.OwnerMemberId, toMemberId), ct),
            };
        }
        return null;
    }

    private static async Task<IReadOnlyList<TransferableDuty>> OwnerDutiesAsync(PortalDbContext db, long classId, long owner, CancellationToken ct)
    {
        var assignments = await db.Assignments.Where(Assignment.Unfinished).Where(a => a.ClassId == classId && a.ResponsibleMemberId == owner)
            .Select(a => new TransferableDuty(DutyKind.Assignment, a.Id, a.Title)).ToListAsync(ct);
        var streams = await db.LiveStreams.Where(LiveStream.Unfinished).Where(l => l.ClassId == classId && l.HostMemberId == owner)
            .Select(l => new TransferableDuty(DutyKind.LiveStream, l.Id, l.Title)).ToListAsync(ct);
        var polls = await db.Polls.Where(p => p.ClassId == classId && p.OwnerMemberId == owner).Select(p => new TransferableDuty(DutyKind.Poll, p.Id, p.Title)).ToListAsync(ct);
        return [.. assignments, .. streams, .. polls];
    }

    /// <summary>Longest proposal message or force reason kept; longer text is refused with 40002.</summary>
    public const int MaxMessageLength = TextLimits.TransferMessage;

    /// <summary>The class must be visible to the caller's organisation (else 40401) and the action theirs (else 40302); both audited.</summary>
    private Task<int?> AuthorizeClassAsync(PortalDbContext db, PortalPrincipal user, PortalAction action, long classId, long? subject, CancellationToken ct) =>
        authorizer.DemandClassAsync(db, user, action, classId, subject, ct);

    private async Task<int?> AuthorizeTransferAsync(PortalDbContext db, PortalPrincipal user, PortalAction action, long transferId, CancellationToken ct)
    {
        var transfer = await db.OwnershipTransfers.AsNoTracking().SingleOrDefaultAsync(t => t.Id == transferId, ct);
        if (transfer is null) return await authorizer.NotFoundAsync(db, user, action, "OwnershipTransfer", transferId.ToString(), ct);
        var target = await PortalAuthorizer.TransferTargetAsync(db, user, transfer, ct);
        return await authorizer.DemandAsync(db, user, action, target, "OwnershipTransfer", transferId.ToString(), ct);
    }

    private static Task<bool> IsEligibleAsync(PortalDbContext db, long classId, long memberId, CancellationToken ct) =>
        db.Memberships.AnyAsync(m => m.ClassId == classId && m.MemberId == memberId && m.State == MembershipState.Active
            && (m.Role == ClassRole.Teacher || m.Role == ClassRole.ClassAdmin), ct);

    public async Task<IReadOnlyList<TransferRow>> MyTransfersAsync(CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        return await Rows(db, db.OwnershipTransfers.Where(t => t.ToMemberId == user.MemberId || t.FromMemberId == user.MemberId || t.ProposedByMemberId == user.MemberId))
            .ToListAsync(ct);
    }

    /// <summary>The class's transfers; empty when the class is not visible to the caller (ADR 0007).</summary>
    public async Task<IReadOnlyList<TransferRow>> HistoryAsync(long classId, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var visible = Infrastructure.Authorization.ReadScope.VisibleClassIds(db, await tenantDb.UserAsync());
        var transfers = db.OwnershipTransfers.Where(t => t.ClassId == classId);
        if (visible is not null) transfers = transfers.Where(t => visible.Contains(t.ClassId));
        return await Rows(db, transfers).ToListAsync(ct);
    }

    /// <summary>Classes whose owner has resigned or is resigning: ownership must move before the owner is gone.</summary>
    public async Task<IReadOnlyList<AtRiskClass>> AtRiskAsync(CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        return await (from c in db.Classes
                      join m in db.Members on c.OwnerMemberId equals m.Id
                      where c.Status == ClassStatus.Active && m.Resignation != ResignationState.None
                      orderby m.Resignation descending, c.Name
                      select new AtRiskClass(c.Id, c.Name, m.Id, m.DisplayName, m.Resignation,
                          db.Memberships.Count(ms => ms.ClassId == c.Id && ms.State == MembershipState.Active),
                          db.OwnershipTransfers.Any(t => t.ClassId == c.Id && t.Status == TransferStatus.Pending))).ToListAsync(ct);
    }

    private static IQueryable<TransferRow> Rows(PortalDbContext db, IQueryable<OwnershipTransfer> transfers) =>
        from t in transfers
        join c in db.Classes on t.ClassId equals c.Id
        orderby t.Id descending
        select new TransferRow(t.Id, t.ClassId, c.Name, t.FromMemberId,
            db.Members.Where(m => m.Id == t.FromMemberId).Select(m => m.DisplayName).FirstOrDefault() ?? "",
            t.ToMemberId, db.Members.Where(m => m.Id == t.ToMemberId).Select(m => m.DisplayName).FirstOrDefault() ?? "",
            db.Members.Where(m => m.Id == t.ProposedByMemberId).Select(m => m.DisplayName).FirstOrDefault() ?? "",
            t.Message, OwnershipTransfer.ParseDuties(t.DutySelection), t.Status, t.CreatedAt, t.ExpiresAt, t.DecidedAt, t.Version, t.ProposedByMemberId);
}
