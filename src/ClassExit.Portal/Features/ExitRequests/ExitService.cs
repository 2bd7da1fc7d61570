using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Exits.Policy;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using ClassExit.Portal.Infrastructure.Observability;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.ExitRequests;

/// <summary>
/// Exits end to end: preview, request (client, portal, force-removal), approve, reject, cancel. One code path for the pages
/// and the REST API. Every state change is written with its audit entry in one transaction; a refusal writes only the audit entry.
/// </summary>
public sealed class ExitService(TenantDb tenantDb, TimeProvider clock, StepUpVerifier stepUp, PortalAuthorizer authorizer, Notifications.PortalEvents events)
{
    /// <summary>
    /// The decision and consequences of an exit, changing nothing. With <paramref name="forRequestId"/>, previews that pending
    /// request as its approver would decide it (its own pending state and plan taken into account).
    /// </summary>
    public async Task<ExitPreview?> PreviewAsync(long classId, long memberId, ExitKind kind = ExitKind.SelfExit,
        IReadOnlyList<PlannedHandover>? plan = null, long? forRequestId = null, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var now = clock.GetUtcNow();
        if (forRequestId is not null)
            plan = await db.ExitRequests.Where(e => e.Id == forRequestId).SelectMany(e => e.Handover)
                .Select(h => new PlannedHandover(h.DutyKind, h.DutyId, h.ToMemberId)).ToListAsync(ct);
        var s = await ExitSnapshot.LoadAsync(db, classId, memberId, kind, now, plan, client: null, ignoringRequestId: forRequestId, ct);
        if (s is null) return null;
        var decision = ExitPolicyEngine.Evaluate(s.Input);

        var days = RetentionRules.RetentionDays(s.Membership.Role, s.Member.IsEnterpriseAdmin, s.Class.Classification, s.Organisation.Policy);
        var basis = Text.Get(s.Class.Classification == Classification.Classified ? "Preview.BasisClassified"
            : s.Member.IsEnterpriseAdmin ? "Preview.BasisAdmin"
            : s.Membership.Role == ClassRole.Student ? "Preview.BasisStudent" : "Preview.BasisTeacher");
        var successors = await (from ms in db.Memberships
                                join m in db.Members on ms.MemberId equals m.Id
                                where ms.ClassId == classId && ms.MemberId != memberId && ms.State == MembershipState.Active
                                      && (ms.Role == ClassRole.Teacher || ms.Role == ClassRole.ClassAdmin || ms.Role == ClassRole.Owner)
                                orderby ms.Role descending, m.DisplayName
                                select new Successor(m.Id, m.DisplayName, ms.Role)).ToListAsync(ct);
        var ownerName = await db.Members.Where(m => m.Id == s.Class.OwnerMemberId).Select(m => m.DisplayName).SingleAsync(ct);
        var files = await db.PrivateFileTransfers.Where(f => f.RecipientMemberId == memberId && !f.Saved)
            .GroupBy(_ => 1).Select(g => new { Count = g.Count(), Bytes = g.Sum(f => f.SizeBytes) }).SingleOrDefaultAsync(ct);

        return new ExitPreview(classId, s.Class.Name, memberId, s.Member.DisplayName, s.Membership.Role, s.Membership.State, decision,
            await db.ChatMessages.CountAsync(m => m.ClassId == classId && m.SenderMemberId == memberId, ct),
            days, days is null ? null : now.AddDays(days.Value), basis,
            await db.SharedDocuments.Where(d => d.ClassId == classId && d.CreatorMemberId == memberId && d.EditMode == DocumentEditMode.Editable).Select(d => d.Title).ToListAsync(ct),
            s.Class.OwnerMemberId == memberId ? [] : await db.Polls.Where(p => p.ClassId == classId && p.OwnerMemberId == memberId).Select(p => p.Title).ToListAsync(ct),
            ownerName,
            await db.LiveReplays.Where(r => r.ClassId == classId && r.CreatorMemberId == memberId && r.Visibility == ReplayVisibility.Class).Select(r => r.Title).ToListAsync(ct),
            s.Duties.Where(d => d.ResponsibleIsLeaver || d.CreatedByLeaver)
                .Select(d => new DutyToHandOver(d.Kind, d.Id, d.Title, Text.Label(d.Kind))).ToList(),
            successors,
            await db.MessageReceipts.CountAsync(r => r.ClassId == classId && r.MemberId == memberId && r.RepliedAt == null, ct),
            files?.Count ?? 0, files?.Bytes ?? 0,
            await db.SignUpEntries.CountAsync(e => e.ClassId == classId && e.MemberId == memberId, ct),
            await db.Announcements.CountAsync(a => a.ClassId == classId && a.AuthorMemberId == memberId, ct),
            await db.HomeworkSubmissions.CountAsync(h => h.ClassId == classId && h.MemberId == memberId, ct),
            s.Input.ChecklistItems, s.Input.ChecklistItemsCompleted);
    }

    /// <summary>The decision alone (dry runs): no consequences computed, nothing changed. Null when class or membership is unknown.</summary>
    public async Task<ExitDecision?> EvaluateAsync(long classId, long memberId, ExitKind kind, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var s = await ExitSnapshot.LoadAsync(db, classId, memberId, kind, clock.GetUtcNow(), null, null, null, ct);
        return s is null ? null : ExitPolicyEngine.Evaluate(s.Input);
    }

    /// <summary>
    /// A member leaves: from a client through the API (key scope <c>exits:client</c>), in bulk by HR (<c>exits:batch</c>), or started in
    /// the portal, where it is the member's own exit when they are the one signed in and an exit <see cref="ExitKind.OnBehalf"/> of them
    /// otherwise (owner or class admin of the class, or an enterprise admin; the acting user is the requester).
    /// </summary>
    public async Task<ExitCommandResult> RequestAsync(ExitCommand command, CancellationToken ct = default)
    {
        var result = await RequestCoreAsync(command, ct);
        PortalMetrics.Exit(command.Kind, command.Channel, result.Decision, result.Status);
        return result;
    }

    private async Task<ExitCommandResult> RequestCoreAsync(ExitCommand command, CancellationToken ct)
    {
        if (command.Kind is not (ExitKind.SelfExit or ExitKind.OnBehalf or ExitKind.HrBatch))
            throw new ArgumentException("Force-removals go through ForceRemoveAsync (step-up).", nameof(command));
        var user = await tenantDb.UserAsync();
        if (command.Channel == ExitChannel.Portal && command.Kind != ExitKind.HrBatch)
            command = command with { Kind = command.MemberId == user.MemberId ? ExitKind.SelfExit : ExitKind.OnBehalf, OperatorMemberId = null };
        var action = command.Kind == ExitKind.HrBatch ? PortalAction.RunBatch
            : command.Channel == ExitChannel.Portal ? PortalAction.StartExit : PortalAction.ClientExit;
        await using var db = await tenantDb.CreateAsync(ct);
        if (await AuthorizeAsync(db, user, action, command.ClassId, command.MemberId, ct) is { } refused) return refused;
        if (await InputLimits.CheckListAsync(db, user, clock, "exit.requested", "handover", command.Handover?.Count ?? 0, TextLimits.HandoverItems, ct) is { } tooMany)
            return Refusal(tooMany);
        if (await InputLimits.CheckAsync(db, user, clock, "exit.requested", ct, new TextInput("exit_reason", command.Reason, TextLimits.Reason),
                new TextInput("device_id", command.Client?.DeviceId, TextLimits.DeviceId),
                new TextInput("client_version", command.Client?.ClientVersion, TextLimits.ClientVersion)) is { } tooLong)
            return Refusal(tooLong);
        return await ExecuteAsync(db, user, command, ct);
    }

    /// <summary>An enterprise admin removes a member, after re-entering their password; a security event.</summary>
    public async Task<ExitCommandResult> ForceRemoveAsync(long classId, long memberId, string reason, string password, CancellationToken ct = default)
    {
        var result = await ForceRemoveCoreAsync(classId, memberId, reason, password, ct);
        PortalMetrics.Exit(ExitKind.ForceRemoval, ExitChannel.Portal, result.Decision, result.Status);
        return result;
    }

    private async Task<ExitCommandResult> ForceRemoveCoreAsync(long classId, long memberId, string reason, string password, CancellationToken ct)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await AuthorizeAsync(db, user, PortalAction.ForceRemove, classId, memberId, ct) is { } refused) return refused;
        if (!await stepUp.VerifyAsync(user, password, "exit.force_removal", db, ct)) return Refusal(ErrorCatalogue.StepUpFailed);
        if (string.IsNullOrWhiteSpace(reason)) return Refusal(ErrorCatalogue.RejectReasonRequired);
        if (await InputLimits.CheckAsync(db, user, clock, "exit.force_removal", ct, new TextInput("force_removal_reason", reason, TextLimits.Reason)) is { } tooLong)
            return Refusal(tooLong);
        return await ExecuteAsync(db, user, new ExitCommand(classId, memberId, ExitKind.ForceRemoval, ExitChannel.Portal, VerificationMethod.Password,
            Reason: reason.Trim()), ct);
    }

    /// <summary>Longest reason (force-removal, rejection) kept; longer text is refused with 40003, not cut.</summary>
    public const int MaxReasonLength = TextLimits.Reason;

    private async Task<ExitCommandResult?> AuthorizeAsync(PortalDbContext db, PortalPrincipal user, PortalAction action, long classId, long memberId,
        CancellationToken ct) =>
        await authorizer.DemandClassAsync(db, user, action, classId, memberId, ct) is { } code ? Refusal(code) : null;

    private async Task<ExitCommandResult> ExecuteAsync(PortalDbContext db, PortalPrincipal user, ExitCommand command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var actor = AuditActor.From(user);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var s = await ExitSnapshot.LoadAsync(db, command.ClassId, command.MemberId, command.Kind, now, command.Handover, command.Client, null, ct);
        if (s is null)
        {
            // A member of the organisation who was never in the class is "not an active member" (50301), not unknown.
            var known = await db.Classes.AnyAsync(c => c.Id == command.ClassId, ct) && await db.Members.AnyAsync(m => m.Id == command.MemberId, ct);
            return known ? Refusal(ErrorCatalogue.NotActiveMember) : ExitCommandResult.NotFound();
        }

        var decision = ExitPolicyEngine.Evaluate(s.Input);
        if (decision.IsRefused)
        {
            // Nothing changes but the audit trail.
            db.ChangeTracker.Clear();
            AuditRefusal(db, s, actor, now, command, decision);
            if (decision.RaisesSecurityAlert) await RaiseKeyClassAttemptAsync(db, s, command, now, ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return new ExitCommandResult(decision, null, null);
        }

        var request = NewRequest(s, command, RequesterOf(command, user), now);
        db.ExitRequests.Add(request);

        if (!command.Kind.IsMembersExit())
        {
            // A removal supersedes a pending self-exit of the same member.
            foreach (var pending in await db.ExitRequests.Where(ExitRequest.Open).Where(e => e.ClassId == command.ClassId && e.MemberId == command.MemberId).ToListAsync(ct))
                pending.Cancel(now, $"superseded by {command.Kind}");
        }

        if (decision.Outcome == ExitOutcome.NeedsApproval)
        {
            s.Membership.MarkExitPending();
            await db.SaveChangesAsync(ct);
            AuditLog.Add(db, s.Organisation.Id, actor, now, "exit.requested", AuditOutcome.Succeeded, "ExitRequest", request.Id.ToString(),
                command.ClassId, command.MemberId, details: new { kind = command.Kind.ToString(), channel = command.Channel.ToString(),
                    verification = command.Verification.ToString(), role = s.Membership.Role.ToString(), handover = command.Handover,
                    requested_by = request.RequestedByMemberId });
            if (await ApproverPool.ClassApproversAsync(db, s.Organisation.Id, request, ct) is { Count: 0 })
            {
                // Separation of duties left nobody in the class who may decide: the enterprise admins get it now, not after the SLA.
                request.Escalate(now);
                AuditLog.Add(db, s.Organisation.Id, AuditActor.System("separation of duties"), now, "exit.routed_to_admins", AuditOutcome.Succeeded,
                    "ExitRequest", request.Id.ToString(), command.ClassId, command.MemberId,
                    details: new { why = "no_class_approver", escalated_to = await ApproverPool.AdminsAsync(db, s.Organisation.Id, request, ct) });
            }
            // The approvers of the class (or the admins it was routed to) learn that it waits for them, in this transaction.
            await events.RaiseAsync(db, new Notifications.PortalEvent(s.Organisation.Id, Domain.Notifications.EventKinds.ApprovalNeeded, now,
                "ExitRequest", request.Id.ToString(), command.ClassId, command.MemberId, new Dictionary<string, object?>
                {
                    ["kind"] = command.Kind.ToString(), ["requested_by"] = request.RequestedByMemberId, ["actor_member_id"] = user.MemberId,
                }), ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return new ExitCommandResult(decision, request.Id, ExitRequestStatus.PendingApproval);
        }

        await db.SaveChangesAsync(ct);
        var effects = await ExitExecutor.CompleteAsync(db, events, s, request, now, ct);
        AuditCompleted(db, s, actor, now, command, request, effects);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new ExitCommandResult(decision, request.Id, ExitRequestStatus.Completed);
    }

    /// <summary>One pair's answer in a bulk exit: no snapshot (unknown class or member, or no membership), or the engine's decision.</summary>
    internal sealed record PairOutcome(ExitDecision? Decision, long? ExitRequestId);

    /// <summary>
    /// HR removals of many (class, member) pairs, set-based: the snapshot of all of them in a few queries
    /// (<see cref="ExitSnapshot.LoadManyAsync"/>), each decided by the same policy engine, and the completions carried out together
    /// (<see cref="ExitExecutor.CompleteManyAsync"/>), each pair with the same request, effects and audit entries as
    /// <see cref="RequestAsync"/> gives it. Runs in the caller's context and transaction (the caller saves the last changes and
    /// commits); the caller has demanded <see cref="PortalAction.RunBatch"/>, the only check an HR removal has. With
    /// <paramref name="dryRun"/> nothing is written. The pairs of one call do not see each other's changes: no rule of an HR
    /// removal reads another member's membership or the class's content.
    /// </summary>
    internal async Task<IReadOnlyDictionary<(long ClassId, long MemberId), PairOutcome>> RemoveManyAsync(PortalDbContext db, AuditActor actor,
        IReadOnlyList<(long ClassId, long MemberId)> pairs, ExitCommand template, bool dryRun, CancellationToken ct)
    {
        if (template.Kind != ExitKind.HrBatch || template.Handover is { Count: > 0 } || template.Client is not null)
            throw new ArgumentException("Only HR removals without a handover plan run set-based.", nameof(template));
        var now = clock.GetUtcNow();
        var loaded = await ExitSnapshot.LoadManyAsync(db, pairs, template.Kind, now, ct);
        var outcomes = new Dictionary<(long, long), PairOutcome>(pairs.Count);
        var completing = new List<(ExitSnapshot.Loaded, ExitRequest)>();
        foreach (var pair in pairs)
        {
            if (!loaded.Pairs.TryGetValue(pair, out var s))
            {
                outcomes[pair] = new PairOutcome(null, null);
                continue;
            }
            var decision = ExitPolicyEngine.Evaluate(s.Input);
            outcomes[pair] = new PairOutcome(decision, null);
            if (dryRun) continue;
            var command = template with { ClassId = pair.ClassId, MemberId = pair.MemberId };
            if (decision.IsRefused)
            {
                AuditRefusal(db, s, actor, now, command, decision);
                if (decision.RaisesSecurityAlert) await RaiseKeyClassAttemptAsync(db, s, command, now, ct);
                continue;
            }
            if (decision.Outcome != ExitOutcome.CompletesNow) throw new InvalidOperationException("An HR removal needs no approval.");
            var request = NewRequest(s, command, template.OperatorMemberId ?? actor.MemberId, now);
            db.ExitRequests.Add(request);
            // A removal supersedes a pending self-exit of the same member.
            foreach (var pending in loaded.OpenRequests[pair]) pending.Cancel(now, $"superseded by {command.Kind}");
            completing.Add((s, request));
        }
        if (dryRun || completing.Count == 0) return outcomes;

        var effects = await ExitExecutor.CompleteManyAsync(db, events, completing, now, ct);
        foreach (var (s, request) in completing)
        {
            AuditCompleted(db, s, actor, now, template with { ClassId = s.Class.Id, MemberId = s.Member.Id }, request, effects[request]);
            outcomes[(s.Class.Id, s.Member.Id)] = outcomes[(s.Class.Id, s.Member.Id)] with { ExitRequestId = request.Id };
        }
        return outcomes;
    }

    private static ExitRequest NewRequest(ExitSnapshot.Loaded s, ExitCommand command, long? requester, DateTimeOffset now)
    {
        var request = new ExitRequest(s.Organisation.Id, command.ClassId, command.MemberId, s.Membership.Role, command.Kind, command.Channel,
            command.Verification, requester, now, command.Reason, command.ReasonCode, command.Silent, command.Client?.DeviceId);
        foreach (var h in command.Handover ?? []) request.PlanHandover(h.Kind, h.DutyId, h.ToMemberId);
        return request;
    }

    private static void AuditRefusal(PortalDbContext db, ExitSnapshot.Loaded s, AuditActor actor, DateTimeOffset now, ExitCommand command, ExitDecision decision)
    {
        AuditLog.Add(db, s.Organisation.Id, actor, now, "exit.refused", AuditOutcome.Refused, "Membership", s.Membership.Id.ToString(),
            command.ClassId, command.MemberId, decision.PrimaryCode, securityEvent: decision.RaisesSecurityAlert,
            details: new { kind = command.Kind.ToString(), channel = command.Channel.ToString(), codes = decision.Reasons.Select(r => r.Code), client = command.Client });
        if (decision.RaisesSecurityAlert)
            AuditLog.Add(db, s.Organisation.Id, actor, now, "security.key_class_exit_attempt", AuditOutcome.Refused, "Class", command.ClassId.ToString(),
                command.ClassId, command.MemberId, ErrorCatalogue.KeyClassResignationIncomplete, securityEvent: true);
    }

    /// <summary>Someone tried to take a member out of a key class: the organisation's admins are told (a security event).</summary>
    private Task RaiseKeyClassAttemptAsync(PortalDbContext db, ExitSnapshot.Loaded s, ExitCommand command, DateTimeOffset now, CancellationToken ct) =>
        events.RaiseAsync(db, new Notifications.PortalEvent(s.Organisation.Id, Domain.Notifications.EventKinds.KeyClassExitAttempt, now, "Class",
            command.ClassId.ToString(), command.ClassId, command.MemberId, new Dictionary<string, object?>
            {
                ["kind"] = command.Kind.ToString(), ["channel"] = command.Channel.ToString(),
            }), ct);

    private static void AuditCompleted(PortalDbContext db, ExitSnapshot.Loaded s, AuditActor actor, DateTimeOffset now, ExitCommand command,
        ExitRequest request, ExitEffects effects)
    {
        var action = command.Kind switch { ExitKind.ForceRemoval => "exit.force_removed", ExitKind.HrBatch => "exit.hr_removed", _ => "exit.completed" };
        AuditLog.Add(db, s.Organisation.Id, actor, now, action, AuditOutcome.Succeeded, "ExitRequest", request.Id.ToString(), command.ClassId,
            command.MemberId, securityEvent: command.Kind == ExitKind.ForceRemoval,
            details: new { kind = command.Kind.ToString(), channel = command.Channel.ToString(), verification = command.Verification.ToString(),
                role = s.Membership.Role.ToString(), reason = command.Reason, reason_code = command.ReasonCode, silent = command.Silent, effects });
    }

    public Task<DecisionResult> ApproveAsync(long requestId, int expectedVersion, CancellationToken ct = default) =>
        DecideAsync(requestId, expectedVersion, approve: true, note: null, ct);

    public async Task<DecisionResult> RejectAsync(long requestId, int expectedVersion, string reason, CancellationToken ct = default) =>
        string.IsNullOrWhiteSpace(reason) ? DecisionResult.Fail(ErrorCatalogue.RejectReasonRequired)
        : await InputLimits.CheckAsync(tenantDb, clock, "exit.rejected", ct, new TextInput("reject_reason", reason, TextLimits.Reason)) is { } tooLong
            ? DecisionResult.Fail(tooLong)
        : await DecideAsync(requestId, expectedVersion, approve: false, note: reason.Trim(), ct);

    /// <summary>
    /// Approve or reject one pending request. The caller passes the version it showed the approver: if anyone decided in the
    /// meantime, exactly one decision stands and this one reports 50401.
    /// </summary>
    private async Task<DecisionResult> DecideAsync(long requestId, int expectedVersion, bool approve, string? note, CancellationToken ct)
    {
        var user = await tenantDb.UserAsync();
        var now = clock.GetUtcNow();
        await using var db = await tenantDb.CreateAsync(ct);
        var pending = await db.ExitRequests.AsNoTracking().SingleOrDefaultAsync(e => e.Id == requestId, ct);
        if (pending is null) return DecisionResult.Fail(await authorizer.NotFoundAsync(db, user, PortalAction.DecideExit, "ExitRequest", requestId.ToString(), ct));
        var target = await PortalAuthorizer.ExitRequestTargetAsync(db, user, pending, ct);
        if (await authorizer.DemandAsync(db, user, PortalAction.DecideExit, target, "ExitRequest", requestId.ToString(), ct) is { } refused)
            return DecisionResult.Fail(refused);
        try
        {
            // On SQLite this begins IMMEDIATE: a concurrent decider waits here and then sees the decision that stands.
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var request = await db.ExitRequests.SingleAsync(e => e.Id == requestId, ct);
            if (request.Status != ExitRequestStatus.PendingApproval || request.Version != expectedVersion)
                return DecisionResult.Fail(ErrorCatalogue.RequestAlreadyDecided, request.Status.ToString());
            var actor = AuditActor.From(user);
            var deciderId = user.MemberId ?? 0;

            var membership = await db.Memberships.SingleAsync(m => m.ClassId == request.ClassId && m.MemberId == request.MemberId, ct);
            if (!approve)
            {
                request.Reject(deciderId, now, note!);
                if (membership.State == MembershipState.ExitPending) membership.ReturnToActive();
                AuditLog.Add(db, request.OrganisationId, actor, now, "exit.rejected", AuditOutcome.Succeeded, "ExitRequest", request.Id.ToString(),
                    request.ClassId, request.MemberId, details: new { reason = note });
                await events.RaiseAsync(db, Decided(request, Domain.Notifications.EventKinds.ExitRejected, now, user, note), ct);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                return DecisionResult.Ok(ExitRequestStatus.Rejected);
            }

            request.Approve(deciderId, now, note);
            var plan = request.Handover.Select(h => new PlannedHandover(h.DutyKind, h.DutyId, h.ToMemberId)).ToList();
            var s = await ExitSnapshot.LoadAsync(db, request.ClassId, request.MemberId, ExitKind.SelfExit, now, plan, null, request.Id, ct);
            var decision = s is null ? null : ExitPolicyEngine.Evaluate(s.Input);
            AuditLog.Add(db, request.OrganisationId, actor, now, "exit.approved", AuditOutcome.Succeeded, "ExitRequest", request.Id.ToString(),
                request.ClassId, request.MemberId);
            if (s is null || decision!.IsRefused)
            {
                // Something changed since the request (a freeze began, a duty appeared): the exit fails with the blocking code.
                var code = decision?.PrimaryCode ?? ErrorCatalogue.NotActiveMember;
                request.Fail(code, now, "re-evaluated at approval");
                if (membership.State == MembershipState.ExitPending) membership.ReturnToActive();
                AuditLog.Add(db, request.OrganisationId, actor, now, "exit.failed", AuditOutcome.Failed, "ExitRequest", request.Id.ToString(),
                    request.ClassId, request.MemberId, code, details: new { codes = decision?.Reasons.Select(r => r.Code) });
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                return new DecisionResult(false, code, ExitRequestStatus.Failed);
            }
            var effects = await ExitExecutor.CompleteAsync(db, events, s, request, now, ct);
            AuditLog.Add(db, request.OrganisationId, actor, now, "exit.completed", AuditOutcome.Succeeded, "ExitRequest", request.Id.ToString(),
                request.ClassId, request.MemberId, details: new { approved_by = deciderId, effects });
            await events.RaiseAsync(db, Decided(request, Domain.Notifications.EventKinds.ExitApproved, now, user, null), ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return DecisionResult.Ok(ExitRequestStatus.Completed);
        }
        catch (DbUpdateConcurrencyException)
        {
            return DecisionResult.Fail(ErrorCatalogue.RequestAlreadyDecided);
        }
    }

    private static Notifications.PortalEvent Decided(ExitRequest request, string kind, DateTimeOffset now, PortalPrincipal user, string? reason) =>
        new(request.OrganisationId, kind, now, "ExitRequest", request.Id.ToString(), request.ClassId, request.MemberId,
            new Dictionary<string, object?> { ["decided_by"] = user.Name, ["reason"] = reason, ["actor_member_id"] = user.MemberId });

    /// <summary>
    /// Who asked: the member for their own exit, the signed-in user for an exit on someone's behalf or a force-removal, the HR
    /// operator for a bulk exit. Separation of duties keys on this.
    /// </summary>
    private static long? RequesterOf(ExitCommand command, PortalPrincipal user) => command.Kind switch
    {
        ExitKind.SelfExit => command.MemberId,
        ExitKind.HrBatch => command.OperatorMemberId ?? user.MemberId,
        _ => user.MemberId,
    };

    private static ExitCommandResult Refusal(int code) =>
        new(new ExitDecision(ExitOutcome.Refused, [new BlockingReason(code)], false), null, null);
}
