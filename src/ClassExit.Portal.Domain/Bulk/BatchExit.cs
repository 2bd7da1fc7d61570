namespace ClassExit.Portal.Domain.Bulk;

public enum BatchStatus
{
    Running = 0,
    Completed = 1,
    /// <summary>The process stopped mid-batch; items already done stand (each item is all-or-nothing on its own).</summary>
    Interrupted = 2,
    /// <summary>A background batch accepted (202) and not started yet.</summary>
    Queued = 3,
}

/// <summary>One HR bulk-exit call and its progress; its items are the per (class, member) outcomes.</summary>
public sealed class BatchExit : ITenantOwned
{
    private BatchExit() { }

    public BatchExit(long organisationId, long operatorMemberId, long? apiKeyId, string reasonCode, bool silent, bool dryRun,
        int classCount, int memberCount, DateTimeOffset startedAt, string? idempotencyKey)
    {
        OrganisationId = organisationId;
        OperatorMemberId = operatorMemberId;
        ApiKeyId = apiKeyId;
        ReasonCode = reasonCode;
        Silent = silent;
        DryRun = dryRun;
        ClassCount = classCount;
        MemberCount = memberCount;
        ItemCount = classCount * memberCount;
        StartedAt = startedAt;
        IdempotencyKey = idempotencyKey;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long OperatorMemberId { get; private set; }
    public long? ApiKeyId { get; private set; }
    public string ReasonCode { get; private set; } = "";
    public bool Silent { get; private set; }
    public bool DryRun { get; private set; }
    public int ClassCount { get; private set; }
    public int MemberCount { get; private set; }
    /// <summary>Pairs to evaluate: classes × members.</summary>
    public int ItemCount { get; private set; }
    public int Processed { get; private set; }
    public int Completed { get; private set; }
    public int Skipped { get; private set; }
    public int Refused { get; private set; }
    public BatchStatus Status { get; private set; }
    public DateTimeOffset StartedAt { get; private set; }
    public DateTimeOffset? FinishedAt { get; private set; }
    public string? IdempotencyKey { get; private set; }
    /// <summary>
    /// A background batch's request (class ids, member ids, who asked), stored with it so that a restart resumes it; null for a batch
    /// run within its call.
    /// </summary>
    public string? RequestJson { get; private set; }

    public bool RunsInBackground => RequestJson is not null;

    /// <summary>A batch too large for one call: queued, run by a background job from its stored request.</summary>
    public static BatchExit Queue(long organisationId, long operatorMemberId, long? apiKeyId, string reasonCode, bool silent, bool dryRun,
        int classCount, int memberCount, DateTimeOffset acceptedAt, string? idempotencyKey, string requestJson) =>
        new(organisationId, operatorMemberId, apiKeyId, reasonCode, silent, dryRun, classCount, memberCount, acceptedAt, idempotencyKey)
        {
            Status = BatchStatus.Queued,
            RequestJson = requestJson,
        };

    public void Start()
    {
        if (Status == BatchStatus.Queued) Status = BatchStatus.Running;
    }

    public void Count(BatchItemStatus status)
    {
        Processed++;
        switch (status)
        {
            case BatchItemStatus.Completed: Completed++; break;
            case BatchItemStatus.Skipped: Skipped++; break;
            default: Refused++; break;
        }
    }

    public void Finish(DateTimeOffset now)
    {
        Status = BatchStatus.Completed;
        FinishedAt = now;
    }
}
