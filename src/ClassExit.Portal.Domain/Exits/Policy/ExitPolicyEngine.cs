using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Errors;

namespace ClassExit.Portal.Domain.Exits.Policy;

/// <summary>
/// The exit policy engine: a pure function from a snapshot to a decision. It evaluates every rule and reports
/// every blocking reason, not only the first; the order of <see cref="Rules"/> decides the primary code.
/// </summary>
public static class ExitPolicyEngine
{
    /// <summary>Checks about the request itself come first, then the member's state, then class and organisation policy.</summary>
    public static readonly IReadOnlyList<IExitRule> Rules =
    [
        new ClientVersionRule(),
        new ClockSkewRule(),
        new RegisteredDeviceRule(),
        new DeviceBindingRule(),
        new UnfinishedApprovalRule(),
        new ActiveMemberRule(),
        new OwnerRule(),
        new EnterpriseAdminRule(),
        new ClassAdminRule(),
        new BlacklistRule(),
        new KeyClassRule(),
        new FreezeWindowRule(),
        new OwnUnfinishedContentRule(),
        new TeacherHandoverRule(),
        new HandoverChecklistRule(),
    ];

    public static ExitDecision Evaluate(ExitEvaluationInput input)
    {
        var reasons = Rules.Where(r => r.AppliesTo(input.Kind)).SelectMany(r => r.Evaluate(input)).ToList();
        var alert = reasons.Any(r => r.Code == ErrorCatalogue.KeyClassResignationIncomplete);
        if (reasons.Count > 0) return new ExitDecision(ExitOutcome.Refused, reasons, alert);
        return new ExitDecision(NeedsApproval(input) ? ExitOutcome.NeedsApproval : ExitOutcome.CompletesNow, [], false);
    }

    /// <summary>
    /// Role table: teachers (and class admins) always need approval; ordinary members only when the organisation says so.
    /// Force-removals, HR exits and dissolutions are decisions already.
    /// </summary>
    private static bool NeedsApproval(ExitEvaluationInput i) =>
        i.Kind.IsMembersExit() && (i.Role is ClassRole.Teacher or ClassRole.ClassAdmin || i.Policy.ExitRequiresApproval);
}
