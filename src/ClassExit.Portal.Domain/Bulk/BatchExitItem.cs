namespace ClassExit.Portal.Domain.Bulk;

public enum BatchItemStatus
{
    Completed = 0,
    Skipped = 1,
    Refused = 2,
}

/// <summary>The outcome for one class and one member of a batch.</summary>
public sealed class BatchExitItem : ITenantOwned
{
    private BatchExitItem() { }

    public BatchExitItem(long organisationId, long batchExitId, long classId, long memberId, BatchItemStatus status, int? code, long? exitRequestId)
    {
        OrganisationId = organisationId;
        BatchExitId = batchExitId;
        ClassId = classId;
        MemberId = memberId;
        Status = status;
        Code = code;
        ExitRequestId = exitRequestId;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long BatchExitId { get; private set; }
    public long ClassId { get; private set; }
    public long MemberId { get; private set; }
    public BatchItemStatus Status { get; private set; }
    public int? Code { get; private set; }
    public long? ExitRequestId { get; private set; }
}
