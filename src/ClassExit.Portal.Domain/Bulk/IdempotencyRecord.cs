namespace ClassExit.Portal.Domain.Bulk;

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
