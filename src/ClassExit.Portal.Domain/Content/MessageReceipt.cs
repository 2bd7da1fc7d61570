namespace ClassExit.Portal.Domain.Content;

/// <summary>A member read a message; <see cref="RepliedAt"/> null means read but not answered (backup list).</summary>
public sealed class MessageReceipt : ITenantOwned
{
    private MessageReceipt() { }

    public MessageReceipt(long organisationId, long messageId, long classId, long memberId, DateTimeOffset readAt)
    {
        OrganisationId = organisationId;
        MessageId = messageId;
        ClassId = classId;
        MemberId = memberId;
        ReadAt = readAt;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long MessageId { get; private set; }
    public long ClassId { get; private set; }
    public long MemberId { get; private set; }
    public DateTimeOffset ReadAt { get; private set; }
    public DateTimeOffset? RepliedAt { get; private set; }

    public void MarkReplied(DateTimeOffset at) => RepliedAt = at;
}
