namespace ClassExit.Portal.Domain.Bulk;

public enum QuotaRequestStatus
{
    Pending = 0,
    Approved = 1,
    Refused = 2,
}

/// <summary>An organisation asks a platform operator for a higher daily quota.</summary>
public sealed class QuotaIncreaseRequest : ITenantOwned
{
    private QuotaIncreaseRequest() { }

    public QuotaIncreaseRequest(long organisationId, int currentLimit, int requestedLimit, string reason, long requestedByMemberId, DateTimeOffset createdAt)
    {
        if (requestedLimit <= currentLimit) throw new ArgumentException("A quota increase asks for more than the current limit.", nameof(requestedLimit));
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        OrganisationId = organisationId;
        CurrentLimit = currentLimit;
        RequestedLimit = requestedLimit;
        Reason = reason;
        RequestedByMemberId = requestedByMemberId;
        CreatedAt = createdAt;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public int CurrentLimit { get; private set; }
    public int RequestedLimit { get; private set; }
    public string Reason { get; private set; } = "";
    public long RequestedByMemberId { get; private set; }
    public QuotaRequestStatus Status { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? DecidedAt { get; private set; }
    public string? DecidedBy { get; private set; }
    public string? DecisionNote { get; private set; }
    public int Version { get; private set; }

    public void Decide(bool approve, string decidedBy, DateTimeOffset now, string? note)
    {
        if (Status != QuotaRequestStatus.Pending) throw new InvalidOperationException($"Quota request {Id} is already {Status}.");
        Status = approve ? QuotaRequestStatus.Approved : QuotaRequestStatus.Refused;
        DecidedBy = decidedBy;
        DecidedAt = now;
        DecisionNote = note;
        Version++;
    }
}
