using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Members;

namespace ClassExit.Portal.Domain.Exits.Policy;

/// <summary>One rule of domain.md. Rules are small and independent; the engine composes them.</summary>
public interface IExitRule
{
    /// <summary>Which kinds of exit the rule governs (a force-removal skips most member-side rules).</summary>
    bool AppliesTo(ExitKind kind);

    IEnumerable<BlockingReason> Evaluate(ExitEvaluationInput input);
}

/// <summary>Rules every kind of exit obeys are marked here; the rest govern a member's own exit only.</summary>
public abstract class ExitRule : IExitRule
{
    public virtual bool AppliesTo(ExitKind kind) => kind.IsMembersExit();

    public abstract IEnumerable<BlockingReason> Evaluate(ExitEvaluationInput input);

    protected static IEnumerable<BlockingReason> Block(int code, string? detail = null) => [new BlockingReason(code, Detail: detail)];

    protected static IEnumerable<BlockingReason> Pass => [];
}

/// <summary>50031: an unfinished approval process exists for this member in this class.</summary>
public sealed class UnfinishedApprovalRule : ExitRule
{
    public override IEnumerable<BlockingReason> Evaluate(ExitEvaluationInput i) =>
        i.HasOpenApproval || i.State == MembershipState.ExitPending ? Block(ErrorCatalogue.UnfinishedApproval) : Pass;
}

/// <summary>50301: only an active member of an active class can leave it.</summary>
public sealed class ActiveMemberRule : ExitRule
{
    public override bool AppliesTo(ExitKind kind) => kind != ExitKind.Dissolution;

    public override IEnumerable<BlockingReason> Evaluate(ExitEvaluationInput i)
    {
        if (i.ClassStatus == ClassStatus.Dissolved) return Block(ErrorCatalogue.ClassDissolved);
        // A pending exit is still a membership: for a self-exit it is reported as 50031; HR and admin removals supersede it.
        return i.State is MembershipState.Active or MembershipState.ExitPending ? Pass : Block(ErrorCatalogue.NotActiveMember);
    }
}

/// <summary>50177: the client is older than the organisation's minimum version (3.1.10 by default).</summary>
public sealed class ClientVersionRule : ExitRule
{
    public override IEnumerable<BlockingReason> Evaluate(ExitEvaluationInput i)
    {
        if (i.Client is null) return Pass;
        var minimum = ClientVersion.Parse(i.Policy.MinimumClientVersion);
        return !ClientVersion.TryParse(i.Client.ClientVersion, out var version) || version < minimum
            ? Block(ErrorCatalogue.ClientTooOld, $"{i.Client.ClientVersion} < {minimum}")
            : Pass;
    }
}

/// <summary>50089: the device clock differs from the server's by more than the allowed skew (exactly the limit is fine).</summary>
public sealed class ClockSkewRule : ExitRule
{
    public override IEnumerable<BlockingReason> Evaluate(ExitEvaluationInput i)
    {
        if (i.Client is null) return Pass;
        var skew = (i.Client.DeviceTime - i.Now).Duration();
        return skew > TimeSpan.FromSeconds(i.Policy.AllowedClockSkewSeconds)
            ? Block(ErrorCatalogue.DeviceClockSkew, $"skew {skew.TotalSeconds:0} s")
            : Pass;
    }
}

/// <summary>
/// 50205: a client exit names a device (<c>X-Device-Id</c>) that the server has registered to the leaving member in this
/// organisation, whatever the device-binding policy. It proves that the key holder named one of the member's known devices, not that
/// the request came from it (README, ADR 0009).
/// </summary>
public sealed class RegisteredDeviceRule : ExitRule
{
    public override IEnumerable<BlockingReason> Evaluate(ExitEvaluationInput i) =>
        i.Client is null || i.Client.Device is { Known: true, BelongsToMember: true } ? Pass : Block(ErrorCatalogue.DeviceNotRegistered);
}

/// <summary>
/// 50204: with device binding on, exits come only from the member's own bound devices. A device the member never registered is
/// <see cref="RegisteredDeviceRule"/>'s (50205): binding cannot help there.
/// </summary>
public sealed class DeviceBindingRule : ExitRule
{
    public override IEnumerable<BlockingReason> Evaluate(ExitEvaluationInput i)
    {
        if (i.Client is null || !i.Policy.DeviceBindingRequired) return Pass;
        var d = i.Client.Device;
        if (d is not { Known: true, BelongsToMember: true }) return Pass;
        return d.Bound ? Pass : Block(ErrorCatalogue.DeviceNotBound);
    }
}

/// <summary>50201: the class is on the organisation's exit blacklist. HR bulk exits obey it too.</summary>
public sealed class BlacklistRule : ExitRule
{
    public override bool AppliesTo(ExitKind kind) => kind is ExitKind.SelfExit or ExitKind.OnBehalf or ExitKind.HrBatch;

    public override IEnumerable<BlockingReason> Evaluate(ExitEvaluationInput i) => i.ExitLocked ? Block(ErrorCatalogue.ClassBlacklisted) : Pass;
}

/// <summary>50202: inside the freeze window before term end; carries the first date an exit is possible. HR bulk exits obey it too.</summary>
public sealed class FreezeWindowRule : ExitRule
{
    public override bool AppliesTo(ExitKind kind) => kind is ExitKind.SelfExit or ExitKind.OnBehalf or ExitKind.HrBatch;

    public override IEnumerable<BlockingReason> Evaluate(ExitEvaluationInput i) =>
        FreezeWindow.IsFrozen(i.Today, i.TermEndsOn, i.Policy.FreezeWindowDays)
            ? [new BlockingReason(ErrorCatalogue.FreezeWindow, FreezeWindow.ExitPossibleFrom(i.TermEndsOn))]
            : Pass;
}

/// <summary>50203: a key class may not be left before the member's resignation is complete; raises a security alert. HR bulk exits obey it too.</summary>
public sealed class KeyClassRule : ExitRule
{
    public override bool AppliesTo(ExitKind kind) => kind is ExitKind.SelfExit or ExitKind.OnBehalf or ExitKind.HrBatch;

    public override IEnumerable<BlockingReason> Evaluate(ExitEvaluationInput i) =>
        i.Classification == Classification.Key && i.Resignation != ResignationState.Completed
            ? Block(ErrorCatalogue.KeyClassResignationIncomplete)
            : Pass;
}

/// <summary>50101: the owner (and a super admin) cannot leave directly: transfer or dissolve first. No kind of exit may leave a class ownerless.</summary>
public sealed class OwnerRule : ExitRule
{
    public override bool AppliesTo(ExitKind kind) => kind != ExitKind.Dissolution;

    public override IEnumerable<BlockingReason> Evaluate(ExitEvaluationInput i) =>
        i.Role == ClassRole.Owner || (i.Kind.IsMembersExit() && i.MemberOrgRole == OrgRole.SuperAdmin)
            ? Block(ErrorCatalogue.OwnerMustTransfer)
            : Pass;
}

/// <summary>50405: an enterprise admin does not leave on their own; another admin removes them.</summary>
public sealed class EnterpriseAdminRule : ExitRule
{
    public override IEnumerable<BlockingReason> Evaluate(ExitEvaluationInput i) =>
        i.MemberOrgRole == OrgRole.EnterpriseAdmin && i.Role != ClassRole.Owner ? Block(ErrorCatalogue.AdminCannotSelfExit) : Pass;
}

/// <summary>50102: a class admin must hand the admin role over first.</summary>
public sealed class ClassAdminRule : ExitRule
{
    public override IEnumerable<BlockingReason> Evaluate(ExitEvaluationInput i) =>
        i.Role == ClassRole.ClassAdmin ? Block(ErrorCatalogue.ClassAdminMustHandOver) : Pass;
}

/// <summary>50103: an ordinary member may not leave with a live stream or assignment they created still unfinished.</summary>
public sealed class OwnUnfinishedContentRule : ExitRule
{
    public override IEnumerable<BlockingReason> Evaluate(ExitEvaluationInput i) =>
        i.Role == ClassRole.Student && i.Duties.Any(d => d.CreatedByLeaver)
            ? Block(ErrorCatalogue.UnfinishedOwnContent, string.Join(", ", i.Duties.Where(d => d.CreatedByLeaver).Select(d => d.Title)))
            : Pass;
}

/// <summary>
/// 50104 / 50106: a teacher's every open duty (grading, scheduled or running live streams) must be in the handover plan,
/// each to another active teacher, class admin or the owner of the class.
/// </summary>
public sealed class TeacherHandoverRule : ExitRule
{
    public override IEnumerable<BlockingReason> Evaluate(ExitEvaluationInput i)
    {
        if (i.Role != ClassRole.Teacher) return Pass;
        var reasons = new List<BlockingReason>();
        var open = i.Duties.Where(d => d.ResponsibleIsLeaver).ToList();
        var missing = open.Where(d => !i.Plan.Any(p => p.Kind == d.Kind && p.DutyId == d.Id)).ToList();
        if (missing.Count > 0)
            reasons.Add(new BlockingReason(ErrorCatalogue.TeacherDutiesNotHandedOver, Detail: string.Join(", ", missing.Select(d => d.Title))));
        var invalid = i.Plan.Where(p => !i.Successors.Contains(p.ToMemberId) || !open.Any(d => d.Kind == p.Kind && d.Id == p.DutyId)).ToList();
        if (invalid.Count > 0)
            reasons.Add(new BlockingReason(ErrorCatalogue.HandoverPlanInvalid));
        return reasons;
    }
}

/// <summary>50105: the class's handover checklist is not complete for this member.</summary>
public sealed class HandoverChecklistRule : ExitRule
{
    public override IEnumerable<BlockingReason> Evaluate(ExitEvaluationInput i) =>
        i.ChecklistItems > 0 && i.ChecklistItemsCompleted < i.ChecklistItems
            ? Block(ErrorCatalogue.HandoverChecklistIncomplete, $"{i.ChecklistItemsCompleted}/{i.ChecklistItems}")
            : Pass;
}
