namespace ClassExit.Portal.Domain.Content;

/// <summary>A chat message in a class. Its purge date is set when its sender leaves.</summary>
public sealed class ChatMessage : ITenantOwned
{
    private ChatMessage() { }

    public ChatMessage(long organisationId, long classId, long senderMemberId, string body, DateTimeOffset sentAt)
    {
        OrganisationId = organisationId;
        ClassId = classId;
        SenderMemberId = senderMemberId;
        Body = body;
        SentAt = sentAt;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long ClassId { get; private set; }
    public long SenderMemberId { get; private set; }
    public string Body { get; private set; } = "";
    public DateTimeOffset SentAt { get; private set; }
    /// <summary>When the retention of the sender's exit ends; null while the sender is a member or when kept for good.</summary>
    public DateTimeOffset? PurgeAfter { get; private set; }
    /// <summary>True once an exit decided the message is kept for good.</summary>
    public bool RetainedPermanently { get; private set; }

    /// <summary>Sets the retention decided at the sender's exit: a purge date, or kept for good when null.</summary>
    public void ScheduleRetention(DateTimeOffset? purgeAfter)
    {
        PurgeAfter = purgeAfter;
        RetainedPermanently = purgeAfter is null;
    }
}
