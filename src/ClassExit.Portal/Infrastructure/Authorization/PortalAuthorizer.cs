using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Ownership;
using ClassExit.Portal.Features.Audit;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Infrastructure.Authorization;

/// <summary>
/// The one authorization component. Every state-changing service method calls <see cref="DemandAsync"/> before it changes
/// anything; a refusal is audited (outcome <c>Refused</c>) and returned as a catalogue code. Pages ask the same component
/// (<see cref="ForClassAsync"/>, <see cref="CanAsync"/>) whether to draw a button. The rules themselves are
/// <see cref="AccessRules"/> in the domain; this class only loads the facts they need.
/// </summary>
public sealed class PortalAuthorizer(TenantDb tenantDb, TimeProvider clock)
{
    /// <summary>The actor as the rules see them: portal roles from the sign-in, or an API key's scopes.</summary>
    public static AccessActor ActorOf(PortalPrincipal user)
    {
        if (user.ApiKeyId is not null)
            return new AccessActor(PortalRole.None, user.MemberId, ApiScopes.Parse(user.Principal.FindFirst(PortalClaims.ApiScopes)?.Value));
        var roles = PortalRole.None;
        if (user.IsInRole(PortalRoles.EnterpriseAdmin)) roles |= PortalRole.EnterpriseAdmin;
        if (user.IsInRole(PortalRoles.HrOperator)) roles |= PortalRole.HrOperator;
        if (user.IsInRole(PortalRoles.SchoolStaff)) roles |= PortalRole.SchoolStaff;
        if (user.IsInRole(PortalRoles.Auditor)) roles |= PortalRole.Auditor;
        if (user.IsInRole(PortalRoles.PlatformOperator)) roles |= PortalRole.PlatformOperator;
        // Organisation roles mean nothing without an organisation (a platform operator's account holds none).
        if (!user.HasOrganisation) roles &= PortalRole.PlatformOperator;
        return new AccessActor(roles, user.MemberId);
    }

    /// <summary>
    /// Decides, and on a refusal writes the audit entry (nothing else: the change tracker is cleared first) and returns the code.
    /// Call it before opening the transaction of the change, with the context the change will use.
    /// </summary>
    public async Task<int?> DemandAsync(PortalDbContext db, PortalPrincipal user, PortalAction action, AccessTarget target,
        string? targetType = null, string? targetId = null, CancellationToken ct = default)
    {
        var decision = AccessRules.Decide(ActorOf(user), action, target);
        if (decision.Allowed) return null;
        db.ChangeTracker.Clear();
        AuditLog.Add(db, user.HasOrganisation ? user.OrganisationId : null, AuditActor.From(user), clock.GetUtcNow(), "access.refused",
            AuditOutcome.Refused, targetType, targetId, target.ClassId, target.SubjectMemberId, decision.Code,
            securityEvent: decision.Code == Domain.Errors.ErrorCatalogue.Forbidden,
            details: new { action = action.ToString(), roles = ActorOf(user).Roles.ToString(), class_role = target.ActorClassRole?.ToString() });
        await db.SaveChangesAsync(ct);
        return decision.Code;
    }

    /// <summary><see cref="DemandAsync"/> for an action on the organisation as a whole (no class facts).</summary>
    public Task<int?> DemandOrganisationAsync(PortalDbContext db, PortalPrincipal user, PortalAction action, string? targetType = null,
        string? targetId = null, CancellationToken ct = default) =>
        DemandAsync(db, user, action, new AccessTarget(), targetType, targetId, ct);

    /// <summary>
    /// An API call needs its endpoint's scope (<see cref="ApiScopes"/>): null when the key carries it, else one audit entry
    /// <c>access.refused</c> naming the missing scope (in a tenant context of the key's organisation) and 40302.
    /// </summary>
    public async Task<int?> DemandScopeAsync(PortalPrincipal user, string scope, string endpoint, CancellationToken ct = default)
    {
        var actor = ActorOf(user);
        if (actor.IsApiKey && actor.ApiScopes!.Contains(scope)) return null;
        await using var db = await tenantDb.CreateAsync(ct);
        AuditLog.Add(db, user.HasOrganisation ? user.OrganisationId : null, AuditActor.From(user), clock.GetUtcNow(), "access.refused",
            AuditOutcome.Refused, "ApiEndpoint", endpoint, code: Domain.Errors.ErrorCatalogue.Forbidden, securityEvent: true,
            details: new { missing_scope = scope, key_scopes = actor.ApiScopes is { } s ? ApiScopes.All.Where(s.Contains).ToArray() : [] });
        await db.SaveChangesAsync(ct);
        return Domain.Errors.ErrorCatalogue.Forbidden;
    }

    /// <summary>Refuses an action on something the acting organisation cannot see (another tenant's id, or none): 40401, audited.</summary>
    public async Task<int> NotFoundAsync(PortalDbContext db, PortalPrincipal user, PortalAction action, string? targetType, string? targetId,
        CancellationToken ct = default)
    {
        db.ChangeTracker.Clear();
        AuditLog.Add(db, user.HasOrganisation ? user.OrganisationId : null, AuditActor.From(user), clock.GetUtcNow(), "access.refused",
            AuditOutcome.Refused, targetType, targetId, code: Domain.Errors.ErrorCatalogue.NotFound, details: new { action = action.ToString() });
        await db.SaveChangesAsync(ct);
        return Domain.Errors.ErrorCatalogue.NotFound;
    }

    /// <summary>
    /// A class-scoped action: the class must be one the caller's organisation can see (else 40401, audited: probing another tenant's
    /// ids is worth knowing about) and the action the caller's (else the rule's code, audited).
    /// </summary>
    public async Task<int?> DemandClassAsync(PortalDbContext db, PortalPrincipal user, PortalAction action, long classId, long? subjectMemberId,
        CancellationToken ct = default)
    {
        if (!await db.Classes.AnyAsync(c => c.Id == classId, ct)) return await NotFoundAsync(db, user, action, "Class", classId.ToString(), ct);
        var target = await ClassTargetAsync(db, user, classId, subjectMemberId, ct);
        return await DemandAsync(db, user, action, target, "Class", classId.ToString(), ct);
    }

    /// <summary>Facts about a class for a class-scoped action: the actor's active role there.</summary>
    public static async Task<AccessTarget> ClassTargetAsync(PortalDbContext db, PortalPrincipal user, long classId, long? subjectMemberId,
        CancellationToken ct)
    {
        ClassRole? role = user.MemberId is { } me
            ? await db.Memberships.Where(m => m.ClassId == classId && m.MemberId == me && m.State == MembershipState.Active)
                .Select(m => (ClassRole?)m.Role).FirstOrDefaultAsync(ct)
            : null;
        return new AccessTarget(classId, role, subjectMemberId);
    }

    /// <summary>Facts for deciding one exit request: who asked, for whom, and whether the decider is leaving that class.</summary>
    public static async Task<AccessTarget> ExitRequestTargetAsync(PortalDbContext db, PortalPrincipal user, ExitRequest request, CancellationToken ct)
    {
        var target = await ClassTargetAsync(db, user, request.ClassId, request.MemberId, ct);
        // A pending exit of their own leaves the decider's membership ExitPending, so ClassTargetAsync finds no active role. They are still
        // in the class: take that role, so the rules say why they may not decide (50402, 50407) instead of a bare 40302 security event.
        // Safe: with ActorLeavingClass set, DecideExit is refused whatever the role.
        ClassRole? leavingAs = user.MemberId is { } me
            ? await db.Memberships.Where(m => m.ClassId == request.ClassId && m.MemberId == me && m.State == MembershipState.ExitPending)
                .Select(m => (ClassRole?)m.Role).FirstOrDefaultAsync(ct)
            : null;
        var leaving = leavingAs is not null || (user.MemberId is { } member
            && await db.ExitRequests.AnyAsync(e => e.ClassId == request.ClassId && e.MemberId == member && e.Status == ExitRequestStatus.PendingApproval, ct));
        return target with { ActorClassRole = target.ActorClassRole ?? leavingAs, RequestedByMemberId = request.RequestedByMemberId, ActorLeavingClass = leaving };
    }

    /// <summary>Facts for answering or cancelling a transfer.</summary>
    public static async Task<AccessTarget> TransferTargetAsync(PortalDbContext db, PortalPrincipal user, OwnershipTransfer transfer, CancellationToken ct)
    {
        var target = await ClassTargetAsync(db, user, transfer.ClassId, transfer.ToMemberId, ct);
        return target with { RequestedByMemberId = transfer.ProposedByMemberId, AddresseeMemberId = transfer.ToMemberId, FromMemberId = transfer.FromMemberId };
    }

    /// <summary>For pages: the signed-in user as the rules see them, to ask <see cref="AccessRules"/> about rows already loaded.</summary>
    public async Task<AccessActor> ActorAsync() => ActorOf(await tenantDb.UserAsync());

    /// <summary>For pages: may the signed-in user do this (no audit entry; the service decides again when they try)?</summary>
    public async Task<bool> CanAsync(PortalAction action, long? classId = null, long? subjectMemberId = null, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        var target = new AccessTarget(classId, null, subjectMemberId);
        if (classId is { } id)
        {
            await using var db = await tenantDb.CreateAsync(ct);
            target = await ClassTargetAsync(db, user, id, subjectMemberId, ct);
        }
        return AccessRules.Decide(ActorOf(user), action, target).Allowed;
    }

    /// <summary>For pages: every button of a class page at once (one query).</summary>
    public async Task<ClassPermissions> ForClassAsync(long classId, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        var target = await ClassTargetAsync(db, user, classId, null, ct);
        var actor = ActorOf(user);
        bool Can(PortalAction a) => AccessRules.Decide(actor, a, target).Allowed;
        return new ClassPermissions(user.MemberId, Can(PortalAction.StartExit), Can(PortalAction.ForceRemove), Can(PortalAction.DecideExit),
            Can(PortalAction.ProposeTransfer), Can(PortalAction.ForceTransfer), Can(PortalAction.Dissolve), Can(PortalAction.ManageReplayGrants),
            Can(PortalAction.ExportMessages), target.ActorClassRole);
    }

    /// <summary>
    /// For pages: may the signed-in user decide this request (the separation-of-duties facts included)? Null when it is not theirs
    /// to decide, else the code that says why not.
    /// </summary>
    public async Task<int?> DecisionBlockerAsync(long exitRequestId, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        var request = await db.ExitRequests.AsNoTracking().SingleOrDefaultAsync(e => e.Id == exitRequestId, ct);
        if (request is null) return Domain.Errors.ErrorCatalogue.NotFound;
        return AccessRules.Decide(ActorOf(user), PortalAction.DecideExit, await ExitRequestTargetAsync(db, user, request, ct)).Code;
    }
}

/// <summary>What the signed-in user may do on one class page.</summary>
public sealed record ClassPermissions(long? MemberId, bool CanStartExit, bool CanForceRemove, bool CanDecide, bool CanTransfer,
    bool CanForceTransfer, bool CanDissolve, bool CanManageReplays, bool CanExportMessages, ClassRole? MyRole)
{
    /// <summary>Exit… on one member's row: on their behalf (owner, class admin, admin) or one's own.</summary>
    public bool CanStartExitFor(long memberId) => CanStartExit || (memberId == MemberId && MyRole is not null);
}
