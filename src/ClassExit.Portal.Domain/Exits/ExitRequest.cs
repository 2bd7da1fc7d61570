using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;

namespace ClassExit.Portal.Domain.Exits;

public enum ExitChannel
{
    Mobile = 0,
    Pc = 1,
    Api = 2,
    Portal = 3,
}

public enum VerificationMethod
{
    None = 0,
    Biometric = 1,
    Sms = 2,
    /// <summary>Portal user re-entered their password (step-up).</summary>
    Password = 3,
    ApiKey = 4,
}

public enum ExitKind
{
    /// <summary>The member leaves on their own (from a client, or in the portal when they are the one signed in).</summary>
    SelfExit = 0,
    /// <summary>An enterprise admin removes the member.</summary>
    ForceRemoval = 1,
    /// <summary>HR bulk exit over the API.</summary>
    HrBatch = 2,
    /// <summary>The class was dissolved.</summary>
    Dissolution = 3,
    /// <summary>
    /// Started in the portal by someone else for the member (a class owner, class admin or enterprise admin). Follows the same rules and
    /// the same approval as the member's own exit; the acting user is recorded as the requester.
    /// </summary>
    OnBehalf = 4,
}

public static class ExitKinds
{
    /// <summary>The member's own exit, or one started for them: the member-side rules and the approval table apply.</summary>
    public static bool IsMembersExit(this ExitKind kind) => kind is ExitKind.SelfExit or ExitKind.OnBehalf;
}

public enum ExitRequestStatus
{
    PendingApproval = 0,
    Approved = 1,
    Rejected = 2,
    Cancelled = 3,
    Completed = 4,
    Failed = 5,
}

/// <summary>
/// A request to leave a class and its whole lifecycle:
/// pending approval → approved / rejected / cancelled; approved → completed; or failed with a code.
/// </summary>
public sealed class ExitRequest : ITenantOwned
{
    private readonly List<HandoverAssignment> _handover = [];

    private ExitRequest() { }

    public ExitRequest(long organisationId, long classId, long memberId, ClassRole roleAtRequest, ExitKind kind, ExitChannel channel,
        VerificationMethod verification, long? requestedByMemberId, DateTimeOffset createdAt, string? reason = null,
        string? reasonCode = null, bool silent = false, string? deviceId = null)
    {
        OrganisationId = organisationId;
        ClassId = classId;
        MemberId = memberId;
        RoleAtRequest = roleAtRequest;
        Kind = kind;
        Channel = channel;
        Verification = verification;
        RequestedByMemberId = requestedByMemberId;
        CreatedAt = createdAt;
        Reason = reason;
        ReasonCode = reasonCode;
        Silent = silent;
        DeviceId = deviceId;
        Status = ExitRequestStatus.PendingApproval;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long ClassId { get; private set; }
    public long MemberId { get; private set; }
    public ClassRole RoleAtRequest { get; private set; }
    public ExitKind Kind { get; private set; }
    public ExitChannel Channel { get; private set; }
    public VerificationMethod Verification { get; private set; }
    public string? DeviceId { get; private set; }
    public long? RequestedByMemberId { get; private set; }
    public string? Reason { get; private set; }
    public string? ReasonCode { get; private set; }
    public bool Silent { get; private set; }
    public ExitRequestStatus Status { get; private set; }
    /// <summary>Catalogue code of the failure, when failed.</summary>
    public int? Code { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? DecidedAt { get; private set; }
    public long? DecidedByMemberId { get; private set; }
    public string? DecisionNote { get; private set; }
    public DateTimeOffset? CompletedAt { get; private set; }
    /// <summary>Set by the escalation job when the request waited longer than the approval SLA.</summary>
    public bool Overdue { get; private set; }
    public DateTimeOffset? EscalatedAt { get; private set; }
    /// <summary>App-managed concurrency token: two deciders cannot both win.</summary>
    public int Version { get; private set; }

    public IReadOnlyList<HandoverAssignment> Handover => _handover;

    /// <summary>Still open: waiting for a decision, or approved and not yet carried out. At most one per member and class.</summary>
    public bool IsOpen => Status is ExitRequestStatus.PendingApproval or ExitRequestStatus.Approved;

    /// <summary><see cref="IsOpen"/> as a query (the one definition of "an open exit request").</summary>
    public static readonly System.Linq.Expressions.Expression<Func<ExitRequest, bool>> Open =
        e => e.Status == ExitRequestStatus.PendingApproval || e.Status == ExitRequestStatus.Approved;

    public void PlanHandover(DutyKind kind, long dutyId, long toMemberId)
    {
        if (Status != ExitRequestStatus.PendingApproval) throw new InvalidOperationException("The handover plan is fixed once the request is decided.");
        _handover.Add(new HandoverAssignment(kind, dutyId, toMemberId));
    }

    public void Approve(long deciderMemberId, DateTimeOffset now, string? note = null)
    {
        RequireStatus(ExitRequestStatus.PendingApproval);
        if (deciderMemberId == MemberId) throw new InvalidOperationException("Nobody approves their own exit.");
        Status = ExitRequestStatus.Approved;
        DecidedByMemberId = deciderMemberId;
        DecidedAt = now;
        DecisionNote = note;
        Version++;
    }

    public void Reject(long deciderMemberId, DateTimeOffset now, string reason)
    {
        RequireStatus(ExitRequestStatus.PendingApproval);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (deciderMemberId == MemberId) throw new InvalidOperationException("Nobody decides their own exit.");
        Status = ExitRequestStatus.Rejected;
        DecidedByMemberId = deciderMemberId;
        DecidedAt = now;
        DecisionNote = reason;
        Version++;
    }

    /// <summary>
    /// Ends an open request without carrying it out: withdrawn by its requester (the service allows that only while it waits for a
    /// decision) or superseded (a removal, a dissolution, a state reset), which may also meet an approved one.
    /// </summary>
    public void Cancel(DateTimeOffset now, string? note = null)
    {
        if (!IsOpen) throw new InvalidOperationException($"Exit request {Id}: cannot cancel from {Status}.");
        Status = ExitRequestStatus.Cancelled;
        DecidedAt = now;
        DecisionNote = note;
        Version++;
    }

    /// <summary>Completes an approved exit, or one that needed no approval (decided at once).</summary>
    public void Complete(DateTimeOffset now)
    {
        if (Status is not (ExitRequestStatus.Approved or ExitRequestStatus.PendingApproval))
            throw new InvalidOperationException($"Exit request {Id}: cannot complete from {Status}.");
        DecidedAt ??= now;
        Status = ExitRequestStatus.Completed;
        CompletedAt = now;
        Version++;
    }

    public void Fail(int code, DateTimeOffset now, string? note = null)
    {
        if (!IsOpen) throw new InvalidOperationException($"Exit request {Id}: cannot fail from {Status}.");
        Status = ExitRequestStatus.Failed;
        Code = code;
        DecidedAt ??= now;
        DecisionNote = note;
        Version++;
    }

    /// <summary>
    /// Goes to the enterprise admins at once, before the SLA runs out: separation of duties left nobody in the class who may decide it.
    /// </summary>
    public void Escalate(DateTimeOffset now)
    {
        if (Status != ExitRequestStatus.PendingApproval || EscalatedAt is not null) return;
        EscalatedAt = now;
        Version++;
    }

    public void MarkOverdue(DateTimeOffset now)
    {
        if (Status != ExitRequestStatus.PendingApproval || Overdue) return;
        Overdue = true;
        EscalatedAt = now;
        Version++;
    }

    private void RequireStatus(ExitRequestStatus status)
    {
        if (Status != status) throw new InvalidOperationException($"Exit request {Id} is {Status}, not {status}.");
    }
}

/// <summary>One duty of a leaving teacher and who takes it over.</summary>
public sealed class HandoverAssignment
{
    private HandoverAssignment() { }

    internal HandoverAssignment(DutyKind dutyKind, long dutyId, long toMemberId)
    {
        DutyKind = dutyKind;
        DutyId = dutyId;
        ToMemberId = toMemberId;
    }

    public long Id { get; private set; }
    public long ExitRequestId { get; private set; }
    public DutyKind DutyKind { get; private set; }
    public long DutyId { get; private set; }
    public long ToMemberId { get; private set; }
}
