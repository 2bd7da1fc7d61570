namespace ClassExit.Portal.Domain.Content;

/// <summary>A file received in private chat that the member has not saved: on the backup list.</summary>
public sealed class PrivateFileTransfer : ITenantOwned
{
    private PrivateFileTransfer() { }

    public PrivateFileTransfer(long organisationId, long recipientMemberId, long senderMemberId, string fileName, long sizeBytes, DateTimeOffset receivedAt)
    {
        OrganisationId = organisationId;
        RecipientMemberId = recipientMemberId;
        SenderMemberId = senderMemberId;
        FileName = fileName;
        SizeBytes = sizeBytes;
        ReceivedAt = receivedAt;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long RecipientMemberId { get; private set; }
    public long SenderMemberId { get; private set; }
    public string FileName { get; private set; } = "";
    public long SizeBytes { get; private set; }
    public DateTimeOffset ReceivedAt { get; private set; }
    public bool Saved { get; private set; }

    public void MarkSaved() => Saved = true;
}
