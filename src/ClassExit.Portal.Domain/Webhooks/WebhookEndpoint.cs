namespace ClassExit.Portal.Domain.Webhooks;

/// <summary>
/// An organisation's receiver of signed event deliveries (Standard Webhooks): its URL, the event kinds it wants, its signing
/// secret (stored protected, shown once), whether it is enabled (and why not) and whether it may be an internal address.
/// </summary>
public sealed class WebhookEndpoint : ITenantOwned
{
    private WebhookEndpoint() { }

    public WebhookEndpoint(long organisationId, string url, IEnumerable<string> eventKinds, string protectedSecret, bool allowInternalAddress,
        string? createdByUserId, DateTimeOffset now)
    {
        OrganisationId = organisationId;
        Url = url;
        EventKinds = Join(eventKinds);
        ProtectedSecret = protectedSecret;
        AllowInternalAddress = allowInternalAddress;
        CreatedByUserId = createdByUserId;
        CreatedAt = now;
        SecretRotatedAt = now;
        Enabled = true;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public string Url { get; private set; } = "";
    /// <summary>Subscribed event kinds, comma separated (names of <see cref="Notifications.EventKinds"/>).</summary>
    public string EventKinds { get; private set; } = "";
    /// <summary>The signing secret as the Data Protection API protected it (never the secret itself).</summary>
    public string ProtectedSecret { get; private set; } = "";
    public bool AllowInternalAddress { get; private set; }
    public bool Enabled { get; private set; }
    /// <summary>Why the endpoint is disabled (by an admin, or "410 Gone" from the receiver).</summary>
    public string? DisabledReason { get; private set; }
    public DateTimeOffset? DisabledAt { get; private set; }
    public string? CreatedByUserId { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset SecretRotatedAt { get; private set; }

    public IReadOnlyList<string> Kinds => EventKinds.Split(',', StringSplitOptions.RemoveEmptyEntries);

    public bool Subscribes(string kind) => Kinds.Contains(kind, StringComparer.Ordinal);

    public void Disable(string reason, DateTimeOffset now)
    {
        Enabled = false;
        DisabledReason = reason;
        DisabledAt = now;
    }

    public void Enable()
    {
        Enabled = true;
        DisabledReason = null;
        DisabledAt = null;
    }

    public void RotateSecret(string protectedSecret, DateTimeOffset now)
    {
        ProtectedSecret = protectedSecret;
        SecretRotatedAt = now;
    }

    public static string Join(IEnumerable<string> kinds) => string.Join(',', kinds.Distinct(StringComparer.Ordinal));
}
