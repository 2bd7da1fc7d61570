using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;

namespace ClassExit.Portal.Domain.Exits.Policy;

/// <summary>An open duty of the leaver in the class: something they created or are responsible for that is not finished.</summary>
/// <param name="CreatedByLeaver">The leaver created it (rule 50103 for ordinary members).</param>
/// <param name="ResponsibleIsLeaver">The leaver is responsible now (grader / host): a teacher's duty to hand over (50104).</param>
public sealed record OpenDuty(DutyKind Kind, long Id, string Title, bool CreatedByLeaver, bool ResponsibleIsLeaver);

/// <summary>The device the request came from, as the server knows it.</summary>
/// <param name="Known">The device id exists in the organisation.</param>
/// <param name="BelongsToMember">It is registered to the leaving member.</param>
/// <param name="Bound">It is bound (MAC binding) to the member.</param>
public sealed record DeviceSnapshot(string DeviceId, bool Known, bool BelongsToMember, bool Bound);

/// <summary>What a client exit carries about itself (mobile / PC); absent for portal, HR and admin exits.</summary>
public sealed record ClientContext(string ClientVersion, DateTimeOffset DeviceTime, DeviceSnapshot Device);

/// <summary>One duty of the handover plan: who takes it over.</summary>
public sealed record PlannedHandover(DutyKind Kind, long DutyId, long ToMemberId);

/// <summary>
/// Everything the exit policy engine looks at: a plain snapshot, no database. <paramref name="Today"/> is the
/// organisation's local date at <paramref name="Now"/>.
/// </summary>
public sealed record ExitEvaluationInput(
    ExitKind Kind,
    ClassRole Role,
    MembershipState State,
    OrgRole MemberOrgRole,
    ResignationState Resignation,
    ClassStatus ClassStatus,
    Classification Classification,
    DateOnly TermEndsOn,
    bool ExitLocked,
    ExitPolicy Policy,
    DateTimeOffset Now,
    DateOnly Today,
    bool HasOpenApproval = false,
    int ChecklistItems = 0,
    int ChecklistItemsCompleted = 0,
    IReadOnlyList<OpenDuty>? OpenDuties = null,
    IReadOnlyList<PlannedHandover>? Handover = null,
    IReadOnlySet<long>? EligibleSuccessors = null,
    ClientContext? Client = null)
{
    public IReadOnlyList<OpenDuty> Duties => OpenDuties ?? [];
    public IReadOnlyList<PlannedHandover> Plan => Handover ?? [];
    public IReadOnlySet<long> Successors => EligibleSuccessors ?? new HashSet<long>();
}

/// <summary>One rule that blocks the exit. <paramref name="ExitPossibleFrom"/> is set by the freeze rule.</summary>
public sealed record BlockingReason(int Code, DateOnly? ExitPossibleFrom = null, string? Detail = null);

public enum ExitOutcome
{
    /// <summary>The exit can complete at once.</summary>
    CompletesNow = 0,
    /// <summary>Allowed, but an approver must decide first.</summary>
    NeedsApproval = 1,
    /// <summary>At least one rule blocks it; <see cref="ExitDecision.Reasons"/> lists every one.</summary>
    Refused = 2,
}

/// <summary>The engine's answer.</summary>
public sealed record ExitDecision(ExitOutcome Outcome, IReadOnlyList<BlockingReason> Reasons, bool RaisesSecurityAlert)
{
    public bool IsRefused => Outcome == ExitOutcome.Refused;

    /// <summary>The code that speaks for the refusal (the first blocking rule, in the engine's order).</summary>
    public int? PrimaryCode => Reasons.Count > 0 ? Reasons[0].Code : null;

    public DateOnly? ExitPossibleFrom => Reasons.Select(r => r.ExitPossibleFrom).FirstOrDefault(d => d is not null);
}
