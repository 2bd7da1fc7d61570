namespace ClassExit.Portal.Domain.Webhooks;

public enum WebhookDeliveryStatus
{
    /// <summary>Waiting for its (next) attempt.</summary>
    Pending = 0,
    /// <summary>The receiver answered 2xx.</summary>
    Succeeded = 1,
    /// <summary>Given up: the retry schedule ran out, or the receiver answered 410 Gone.</summary>
    Failed = 2,
    /// <summary>Not sent: the endpoint was disabled or deleted before it went out.</summary>
    Cancelled = 3,
}

/// <summary>
/// One event for one endpoint: the payload as it will be signed, and each attempt's outcome. Every attempt sends the same
/// <see cref="MessageId"/> (the <c>webhook-id</c>), so a receiver that saw it once can ignore a retry.
/// </summary>
public sealed class WebhookDelivery : ITenantOwned
{
    private WebhookDelivery() { }

    public WebhookDelivery(long organisationId, long endpointId, string messageId, string eventKind, string payload, DateTimeOffset now)
    {
        OrganisationId = organisationId;
        EndpointId = endpointId;
        MessageId = messageId;
        EventKind = eventKind;
        Payload = payload;
        CreatedAt = now;
        NextAttemptAt = now;
        Status = WebhookDeliveryStatus.Pending;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long EndpointId { get; private set; }
    /// <summary>The event's id, sent as <c>webhook-id</c> on every attempt (msg_…).</summary>
    public string MessageId { get; private set; } = "";
    public string EventKind { get; private set; } = "";
    /// <summary>The JSON body, exactly as signed and sent.</summary>
    public string Payload { get; private set; } = "";
    public WebhookDeliveryStatus Status { get; private set; }
    public int Attempts { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    /// <summary>When the next attempt is due (null once finished).</summary>
    public DateTimeOffset? NextAttemptAt { get; private set; }
    /// <summary>A sender holds the row until then: one attempt at a time per row.</summary>
    public DateTimeOffset? ClaimedUntil { get; private set; }
    public DateTimeOffset? LastAttemptAt { get; private set; }
    public int? ResponseCode { get; private set; }
    public int? DurationMs { get; private set; }
    public string? LastError { get; private set; }
    public DateTimeOffset? DeliveredAt { get; private set; }

    public const int MaxErrorLength = 500;

    /// <summary>An attempt's outcome: 2xx succeeds; 410 gives up; anything else (or no answer) is retried while the schedule lasts.</summary>
    public void Record(DateTimeOffset now, int? responseCode, int durationMs, string? error)
    {
        Attempts++;
        LastAttemptAt = now;
        ResponseCode = responseCode;
        DurationMs = durationMs;
        LastError = error is { Length: > MaxErrorLength } ? error[..MaxErrorLength] : error;
        ClaimedUntil = null;
        if (responseCode is >= 200 and < 300)
        {
            Status = WebhookDeliveryStatus.Succeeded;
            DeliveredAt = now;
            NextAttemptAt = null;
            LastError = null;
            return;
        }
        NextAttemptAt = responseCode == 410 ? null : WebhookRetry.NextAttempt(CreatedAt, Attempts);
        if (NextAttemptAt is null) Status = WebhookDeliveryStatus.Failed;
    }

    /// <summary>Not sent after all (endpoint disabled or deleted).</summary>
    public void Cancel(string why)
    {
        if (Status != WebhookDeliveryStatus.Pending) return;
        Status = WebhookDeliveryStatus.Cancelled;
        NextAttemptAt = null;
        ClaimedUntil = null;
        LastError = why;
    }

    /// <summary>Send again from the start of the schedule, with the same <see cref="MessageId"/> (an admin's "resend").</summary>
    public void Resend(DateTimeOffset now)
    {
        Status = WebhookDeliveryStatus.Pending;
        NextAttemptAt = now;
        ClaimedUntil = null;
        CreatedAt = now;
        Attempts = 0;
    }
}
