namespace ClassExit.Portal.Domain.Bulk;

/// <summary>Bulk-exit calls used by an organisation on one local calendar day. Incremented atomically in the database.</summary>
public sealed class QuotaUsage : ITenantOwned
{
    private QuotaUsage() { }

    public QuotaUsage(long organisationId, DateOnly day)
    {
        OrganisationId = organisationId;
        Day = day;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public DateOnly Day { get; private set; }
    public int Used { get; private set; }
}

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

/// <summary>
/// A stored response for an Idempotency-Key: the same key and body within 24 hours gets it back. The first call claims the key by
/// inserting its record in progress (<see cref="StatusCode"/> 0) before it runs, relying on the unique index (organisation, key); a
/// claim whose run crashed expires after its lease, and an expired record no longer holds the key.
/// </summary>
public sealed class IdempotencyRecord : ITenantOwned
{
    /// <summary>How long a stored response is replayed.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    private IdempotencyRecord() { }

    public IdempotencyRecord(long organisationId, string key, string bodyHash, int statusCode, string responseJson, DateTimeOffset createdAt)
    {
        OrganisationId = organisationId;
        Key = key;
        BodyHash = bodyHash;
        StatusCode = statusCode;
        ResponseJson = responseJson;
        CreatedAt = createdAt;
        ExpiresAt = createdAt.Add(Retention);
    }

    /// <summary>A claim: the key is taken, its run has not finished; it lapses at <paramref name="lease"/> after <paramref name="now"/> if the run never completes.</summary>
    public static IdempotencyRecord Claim(long organisationId, string key, string bodyHash, DateTimeOffset now, TimeSpan lease) =>
        new(organisationId, key, bodyHash, 0, "", now) { ExpiresAt = now.Add(lease) };

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public string Key { get; private set; } = "";
    public string BodyHash { get; private set; } = "";
    /// <summary>The stored response's HTTP status; 0 while the claiming call still runs.</summary>
    public int StatusCode { get; private set; }
    public string ResponseJson { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset ExpiresAt { get; private set; }

    public bool InProgress => StatusCode == 0;
}
