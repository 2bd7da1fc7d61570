using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Exits.Policy;

namespace ClassExit.Portal.Features.ExitRequests;

/// <summary>What starts an exit: who, where, how, and (for client exits) what the device said about itself.</summary>
public sealed record ExitCommand(
    long ClassId,
    long MemberId,
    ExitKind Kind,
    ExitChannel Channel,
    VerificationMethod Verification,
    IReadOnlyList<PlannedHandover>? Handover = null,
    ClientRequestInfo? Client = null,
    string? Reason = null,
    string? ReasonCode = null,
    bool Silent = false,
    long? OperatorMemberId = null);

/// <summary>Headers of a client exit (X-Client-Version, X-Device-Id, X-Device-Time).</summary>
public sealed record ClientRequestInfo(string ClientVersion, string DeviceId, DateTimeOffset DeviceTime);

/// <summary>The outcome of an exit command. A refusal changed nothing but its audit entry, so it has no request id.</summary>
public sealed record ExitCommandResult(ExitDecision Decision, long? ExitRequestId, ExitRequestStatus? Status)
{
    public static ExitCommandResult NotFound() => new(new ExitDecision(ExitOutcome.Refused, [new BlockingReason(Domain.Errors.ErrorCatalogue.NotFound)], false), null, null);
}

public sealed record DutyToHandOver(DutyKind Kind, long Id, string Title, string Detail);

public sealed record Successor(long MemberId, string DisplayName, ClassRole Role);

/// <summary>The exit preview: the decision and everything the exit would do.</summary>
public sealed record ExitPreview(
    long ClassId,
    string ClassName,
    long MemberId,
    string MemberName,
    ClassRole Role,
    MembershipState State,
    ExitDecision Decision,
    int ChatMessages,
    int? RetentionDays,
    DateTimeOffset? ChatPurgeAfter,
    string RetentionBasis,
    IReadOnlyList<string> DocumentsBecomingReadOnly,
    IReadOnlyList<string> PollsToOwner,
    string OwnerName,
    IReadOnlyList<string> ReplaysBecomingPrivate,
    IReadOnlyList<DutyToHandOver> Duties,
    IReadOnlyList<Successor> Successors,
    int UnansweredMessages,
    int UnsavedFiles,
    long UnsavedFileBytes,
    int SignUpEntries,
    int AnnouncementsKept,
    int HomeworkKept,
    int ChecklistItems,
    int ChecklistCompleted);

/// <summary>A decision on a pending request by an approver.</summary>
public sealed record DecisionResult(bool Succeeded, int? Code, ExitRequestStatus? Status, string? Detail = null)
{
    public static DecisionResult Ok(ExitRequestStatus status) => new(true, null, status);
    public static DecisionResult Fail(int code, string? detail = null) => new(false, code, null, detail);
}

public sealed record ExitRequestRow(long ExitRequestId, long ClassId, string ClassName, long MemberId, string MemberName, ClassRole Role,
    ExitKind Kind, ExitChannel Channel, VerificationMethod Verification, ExitRequestStatus Status, int? Code, bool Overdue,
    DateTimeOffset CreatedAt, DateTimeOffset? DecidedAt, string? DecisionNote);

public sealed record ExitRequestFilter(ExitRequestStatus? Status = null, string? Search = null, ClassRole? Role = null, bool OverdueOnly = false,
    int? Code = null, int? MinAgeHours = null);

public sealed record TimelineEntry(DateTimeOffset At, string Action, string? Actor, string? Details, int? Code);

/// <param name="Version">The request's concurrency version, for deciding it (so the page needs no second read).</param>
/// <param name="DeciderName">Who approved or rejected it (null while undecided, or when it completed without approval).</param>
public sealed record ExitRequestDetail(ExitRequestRow Request, IReadOnlyList<(DutyKind Kind, long DutyId, string ToMemberName)> Handover,
    IReadOnlyList<TimelineEntry> Timeline, int SlaHours, int Version = 0, string? DeciderName = null);
