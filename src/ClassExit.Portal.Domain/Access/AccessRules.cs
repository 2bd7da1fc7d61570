using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Errors;

namespace ClassExit.Portal.Domain.Access;

/// <summary>The portal roles of an account (several may be held at once).</summary>
[Flags]
public enum PortalRole
{
    None = 0,
    /// <summary>Acts organisation-wide.</summary>
    EnterpriseAdmin = 1,
    /// <summary>Acts through bulk exits, API keys, reason codes and the quota.</summary>
    HrOperator = 2,
    /// <summary>Acts only in the classes where they hold a role.</summary>
    SchoolStaff = 4,
    /// <summary>Reads; changes nothing.</summary>
    Auditor = 8,
    /// <summary>Belongs to no organisation; decides quota increases across organisations.</summary>
    PlatformOperator = 16,
}

/// <summary>Everything that changes data, by what it does. Each state-changing service method asks for one of these.</summary>
public enum PortalAction
{
    /// <summary>Start an exit in the portal on a member's behalf (or one's own).</summary>
    StartExit,
    /// <summary>A member leaves from a client (API key with <c>exits:client</c>).</summary>
    ClientExit,
    /// <summary>Force-remove a member (step-up).</summary>
    ForceRemove,
    /// <summary>Approve or reject a pending exit request.</summary>
    DecideExit,
    /// <summary>HR bulk exit (API key with <c>exits:batch</c>).</summary>
    RunBatch,
    ProposeTransfer,
    /// <summary>Accept or decline a transfer offered to oneself.</summary>
    AnswerTransfer,
    CancelTransfer,
    ForceTransfer,
    Dissolve,
    ManageReplayGrants,
    CompleteChecklist,
    EditChecklist,
    EditPolicy,
    EditClassPolicy,
    BindDevice,
    ResetMemberState,
    RequestResync,
    /// <summary>A device acknowledges a sync (API key with <c>devices</c>).</summary>
    AcknowledgeSync,
    ManageLegalHolds,
    RunPurge,
    ExportMessages,
    SearchDepartedHistory,
    ExportAudit,
    VerifyAuditChain,
    ManageApiKeys,
    ManageReasonCodes,
    RequestQuota,
    DecideQuota,
    /// <summary>Create, change, disable, sign out or reset the portal accounts of the organisation (step-up).</summary>
    ManageUsers,
    /// <summary>Add, enable, disable, rotate, delete webhook endpoints; resend deliveries; send test events.</summary>
    ManageWebhooks,
}

/// <summary>Who acts: their portal roles and member, or an API key and its scopes.</summary>
public sealed record AccessActor(PortalRole Roles, long? MemberId, IReadOnlySet<string>? ApiScopes = null)
{
    public bool IsApiKey => ApiScopes is not null;

    public bool Has(PortalRole role) => (Roles & role) != 0;
}

/// <summary>
/// What the decision needs to know about the thing acted on, loaded by the caller. Everything is optional: an action that is
/// not about a class needs no class facts.
/// </summary>
/// <param name="ClassId">The class acted on.</param>
/// <param name="ActorClassRole">The actor's active role in that class, null when they hold none.</param>
/// <param name="SubjectMemberId">The member the action is about (the one leaving, the one granted a replay…).</param>
/// <param name="RequestedByMemberId">Who started the exit request or proposed the transfer.</param>
/// <param name="AddresseeMemberId">The recipient of a transfer.</param>
/// <param name="FromMemberId">The owner who gives a class away in a transfer.</param>
/// <param name="ActorLeavingClass">The actor is leaving that class themselves (an exit of theirs is pending there).</param>
public sealed record AccessTarget(
    long? ClassId = null,
    ClassRole? ActorClassRole = null,
    long? SubjectMemberId = null,
    long? RequestedByMemberId = null,
    long? AddresseeMemberId = null,
    long? FromMemberId = null,
    bool ActorLeavingClass = false);

/// <summary>Allowed, or refused with a catalogue code.</summary>
public readonly record struct AccessDecision(int? Code)
{
    public static readonly AccessDecision Allow = new(null);

    public bool Allowed => Code is null;

    public static AccessDecision Refuse(int code) => new(code);
}

/// <summary>
/// Who may do what, in one place (ADR 0006). A pure function: actor + action + facts about the target in, a decision out. The portal's
/// authorizer loads the facts, asks this, and audits a refusal; pages ask the same authorizer whether to draw a button.
/// </summary>
public static class AccessRules
{
    public static AccessDecision Decide(AccessActor actor, PortalAction action, AccessTarget target)
    {
        // A bulk exit from the portal's form (issue 18): an HR operator's own account, as their API key would; the service then holds
        // them to the same operator, quota and idempotency rules as the API.
        if (action == PortalAction.RunBatch && !actor.IsApiKey)
            return actor.Has(PortalRole.HrOperator) ? AccessDecision.Allow : AccessDecision.Refuse(ErrorCatalogue.Forbidden);
        // API keys act only through their scopes; portal accounts never through a scope.
        if (RequiredScope(action) is { } scope)
            return actor.IsApiKey && actor.ApiScopes!.Contains(scope) ? AccessDecision.Allow : AccessDecision.Refuse(ErrorCatalogue.Forbidden);
        if (actor.IsApiKey) return AccessDecision.Refuse(ErrorCatalogue.Forbidden);

        var admin = actor.Has(PortalRole.EnterpriseAdmin);
        var staff = actor.Has(PortalRole.SchoolStaff);
        var hr = actor.Has(PortalRole.HrOperator);
        var role = target.ActorClassRole;
        bool ClassRoleIn(params ClassRole[] roles) => staff && role is { } r && roles.Contains(r);

        var allowed = action switch
        {
            PortalAction.StartExit => admin || ClassRoleIn(ClassRole.Owner, ClassRole.ClassAdmin) || IsSelf(actor, target),
            PortalAction.DecideExit => admin || ClassRoleIn(ClassRole.Owner, ClassRole.ClassAdmin, ClassRole.Teacher),
            PortalAction.ProposeTransfer or PortalAction.Dissolve or PortalAction.ManageReplayGrants =>
                admin || ClassRoleIn(ClassRole.Owner),
            // Only the addressee answers, and only with a portal role that acts (an auditor or platform operator changes nothing).
            PortalAction.AnswerTransfer => actor.MemberId is { } me && me == target.AddresseeMemberId && (admin || staff || hr),
            PortalAction.CancelTransfer => admin || (actor.MemberId is { } m && (m == target.FromMemberId || m == target.RequestedByMemberId)),
            PortalAction.ForceRemove or PortalAction.ForceTransfer or PortalAction.CompleteChecklist or PortalAction.EditChecklist
                or PortalAction.EditPolicy or PortalAction.EditClassPolicy or PortalAction.BindDevice or PortalAction.ResetMemberState
                or PortalAction.RequestResync or PortalAction.ManageLegalHolds or PortalAction.RunPurge or PortalAction.ExportMessages
                or PortalAction.SearchDepartedHistory or PortalAction.ManageUsers or PortalAction.ManageWebhooks => admin,
            PortalAction.ExportAudit or PortalAction.VerifyAuditChain => admin || actor.Has(PortalRole.Auditor),
            PortalAction.ManageApiKeys or PortalAction.ManageReasonCodes or PortalAction.RequestQuota => admin || hr,
            PortalAction.DecideQuota => actor.Has(PortalRole.PlatformOperator),
            _ => false,
        };
        if (!allowed) return AccessDecision.Refuse(action == PortalAction.AnswerTransfer ? ErrorCatalogue.TransferNotAddressedToYou : ErrorCatalogue.Forbidden);
        return SeparationOfDuties(actor, action, target);
    }

    /// <summary>The scope an API key needs for an action that only API keys take.</summary>
    public static string? RequiredScope(PortalAction action) => action switch
    {
        PortalAction.ClientExit => Access.ApiScopes.ClientExits,
        PortalAction.RunBatch => Access.ApiScopes.BatchExits,
        PortalAction.AcknowledgeSync => Access.ApiScopes.Devices,
        _ => null,
    };

    /// <summary>
    /// Nobody decides an exit request that they requested, that concerns themselves, or that concerns a class they are leaving;
    /// nobody accepts a transfer they proposed.
    /// </summary>
    private static AccessDecision SeparationOfDuties(AccessActor actor, PortalAction action, AccessTarget target)
    {
        // Whoever proposed a transfer (e.g. an admin naming themselves) cannot also accept it.
        if (action == PortalAction.AnswerTransfer && actor.MemberId == target.RequestedByMemberId)
            return AccessDecision.Refuse(ErrorCatalogue.ProposerCannotAccept);
        if (action != PortalAction.DecideExit) return AccessDecision.Allow;
        if (actor.MemberId is not { } me) return AccessDecision.Refuse(ErrorCatalogue.Forbidden);
        if (me == target.SubjectMemberId) return AccessDecision.Refuse(ErrorCatalogue.SelfApproval);
        if (me == target.RequestedByMemberId) return AccessDecision.Refuse(ErrorCatalogue.RequesterCannotDecide);
        if (target.ActorLeavingClass) return AccessDecision.Refuse(ErrorCatalogue.DeciderLeavingClass);
        return AccessDecision.Allow;
    }

    private static bool IsSelf(AccessActor actor, AccessTarget target) =>
        actor.MemberId is { } me && me == target.SubjectMemberId && target.ActorClassRole is not null;

    /// <summary>
    /// May this person decide exit requests of the class at all (before the facts of one request)? The pool of approvers that
    /// separation of duties draws from.
    /// </summary>
    public static bool IsClassApprover(PortalRole roles, ClassRole? classRole) =>
        (roles & PortalRole.EnterpriseAdmin) != 0
        || ((roles & PortalRole.SchoolStaff) != 0 && classRole is ClassRole.Owner or ClassRole.ClassAdmin or ClassRole.Teacher);
}
