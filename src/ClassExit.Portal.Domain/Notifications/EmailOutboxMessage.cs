namespace ClassExit.Portal.Domain.Notifications;

public enum EmailOutboxState
{
    /// <summary>Waiting to be sent (or to be retried at <see cref="EmailOutboxMessage.NextAttemptAt"/>).</summary>
    Pending = 0,
    Sent = 1,
    /// <summary>Gave up after the last retry; kept for the record.</summary>
    Failed = 2,
    /// <summary>Waits for the recipient's daily digest (a digest message carries it).</summary>
    AwaitingDigest = 3,
    /// <summary>Sent as part of a digest message.</summary>
    Digested = 4,
}

/// <summary>
/// One e-mail to send, written in the same transaction as the change it tells of (so a rolled-back change sends nothing and a crash
/// loses nothing). Rendered when staged, in the recipient's language. Its id is the e-mail's Message-Id: one e-mail per event per
/// recipient, however often the sender retries.
/// </summary>
public sealed class EmailOutboxMessage : ITenantOwned
{
    /// <summary>Attempts before the message is given up (back-off 1, 2, 4, 8 … minutes in between).</summary>
    public const int MaxAttempts = 8;

    private EmailOutboxMessage() { }

    public EmailOutboxMessage(long organisationId, string userId, string toAddress, string culture, string kind, string subject, string textBody,
        string htmlBody, DateTimeOffset createdAt, bool digest = false, string link = "/notifications")
    {
        OrganisationId = organisationId;
        UserId = userId;
        ToAddress = toAddress;
        Culture = culture;
        Kind = kind;
        Subject = subject;
        TextBody = textBody;
        HtmlBody = htmlBody;
        Link = link;
        CreatedAt = createdAt;
        NextAttemptAt = createdAt;
        State = digest ? EmailOutboxState.AwaitingDigest : EmailOutboxState.Pending;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public string UserId { get; private set; } = "";
    public string ToAddress { get; private set; } = "";
    public string Culture { get; private set; } = "en";
    public string Kind { get; private set; } = "";
    public string Subject { get; private set; } = "";
    public string TextBody { get; private set; } = "";
    public string HtmlBody { get; private set; } = "";
    /// <summary>The portal path the e-mail links to (the digest lists it).</summary>
    public string Link { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }
    public EmailOutboxState State { get; private set; }
    public int Attempts { get; private set; }
    public DateTimeOffset NextAttemptAt { get; private set; }
    public DateTimeOffset? SentAt { get; private set; }
    public string? LastError { get; private set; }
    /// <summary>For a message carried by a digest: the digest message's id.</summary>
    public long? DigestMessageId { get; private set; }

    public void MarkSent(DateTimeOffset now)
    {
        State = EmailOutboxState.Sent;
        SentAt = now;
        Attempts++;
        LastError = null;
    }

    /// <summary>A failed attempt: retried with exponential back-off (1, 2, 4 … minutes, at most an hour), given up after <see cref="MaxAttempts"/>.</summary>
    public void MarkFailed(DateTimeOffset now, string error)
    {
        Attempts++;
        LastError = error.Length > 400 ? error[..400] : error;
        if (Attempts >= MaxAttempts) State = EmailOutboxState.Failed;
        else NextAttemptAt = now + BackOff(Attempts);
    }

    public static TimeSpan BackOff(int attempts) => TimeSpan.FromMinutes(Math.Min(60, Math.Pow(2, attempts - 1)));

    public void CarriedBy(long digestMessageId, DateTimeOffset now)
    {
        State = EmailOutboxState.Digested;
        DigestMessageId = digestMessageId;
        SentAt = now;
    }
}
