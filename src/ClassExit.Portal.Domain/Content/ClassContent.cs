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

/// <summary>Structured data: kept for good in the organisation.</summary>
public sealed class Announcement : ITenantOwned
{
    private Announcement() { }

    public Announcement(long organisationId, long classId, long authorMemberId, string title, DateTimeOffset publishedAt)
    {
        OrganisationId = organisationId;
        ClassId = classId;
        AuthorMemberId = authorMemberId;
        Title = title;
        PublishedAt = publishedAt;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long ClassId { get; private set; }
    public long AuthorMemberId { get; private set; }
    public string Title { get; private set; } = "";
    public DateTimeOffset PublishedAt { get; private set; }
}

/// <summary>Structured data: kept for good in the organisation.</summary>
public sealed class HomeworkSubmission : ITenantOwned
{
    private HomeworkSubmission() { }

    public HomeworkSubmission(long organisationId, long classId, long assignmentId, long memberId, DateTimeOffset submittedAt)
    {
        OrganisationId = organisationId;
        ClassId = classId;
        AssignmentId = assignmentId;
        MemberId = memberId;
        SubmittedAt = submittedAt;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long ClassId { get; private set; }
    public long AssignmentId { get; private set; }
    public long MemberId { get; private set; }
    public DateTimeOffset SubmittedAt { get; private set; }
}

public enum DocumentEditMode
{
    Editable = 0,
    ReadOnly = 1,
}

/// <summary>A shared document; becomes read-only when its creator leaves.</summary>
public sealed class SharedDocument : ITenantOwned
{
    private SharedDocument() { }

    public SharedDocument(long organisationId, long classId, long creatorMemberId, string title)
    {
        OrganisationId = organisationId;
        ClassId = classId;
        CreatorMemberId = creatorMemberId;
        Title = title;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long ClassId { get; private set; }
    public long CreatorMemberId { get; private set; }
    public string Title { get; private set; } = "";
    public DocumentEditMode EditMode { get; private set; }

    public void MakeReadOnly() => EditMode = DocumentEditMode.ReadOnly;
}

/// <summary>A poll/vote; handed to the class owner when its creator leaves.</summary>
public sealed class Poll : ITenantOwned
{
    private Poll() { }

    public Poll(long organisationId, long classId, long creatorMemberId, string title, DateTimeOffset? closesAt)
    {
        OrganisationId = organisationId;
        ClassId = classId;
        CreatorMemberId = creatorMemberId;
        OwnerMemberId = creatorMemberId;
        Title = title;
        ClosesAt = closesAt;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long ClassId { get; private set; }
    public long CreatorMemberId { get; private set; }
    public long OwnerMemberId { get; private set; }
    public string Title { get; private set; } = "";
    public DateTimeOffset? ClosesAt { get; private set; }

    public void HandOverTo(long memberId) => OwnerMemberId = memberId;
}

public enum ReplayVisibility
{
    Class = 0,
    /// <summary>Only explicit grants may watch.</summary>
    Private = 1,
}

/// <summary>A live replay; becomes private when its creator leaves.</summary>
public sealed class LiveReplay : ITenantOwned
{
    private LiveReplay() { }

    public LiveReplay(long organisationId, long classId, long creatorMemberId, string title, long? liveStreamId = null)
    {
        OrganisationId = organisationId;
        ClassId = classId;
        CreatorMemberId = creatorMemberId;
        Title = title;
        LiveStreamId = liveStreamId;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long ClassId { get; private set; }
    public long? LiveStreamId { get; private set; }
    public long CreatorMemberId { get; private set; }
    public string Title { get; private set; } = "";
    public ReplayVisibility Visibility { get; private set; }

    public void MakePrivate() => Visibility = ReplayVisibility.Private;
}

/// <summary>Explicit permission to watch a private replay.</summary>
public sealed class ReplayGrant : ITenantOwned
{
    private ReplayGrant() { }

    public ReplayGrant(long organisationId, long replayId, long memberId, long grantedByMemberId, DateTimeOffset grantedAt)
    {
        OrganisationId = organisationId;
        ReplayId = replayId;
        MemberId = memberId;
        GrantedByMemberId = grantedByMemberId;
        GrantedAt = grantedAt;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long ReplayId { get; private set; }
    public long MemberId { get; private set; }
    public long GrantedByMemberId { get; private set; }
    public DateTimeOffset GrantedAt { get; private set; }
    public DateTimeOffset? RevokedAt { get; private set; }

    public void Revoke(DateTimeOffset at) => RevokedAt ??= at;
}

/// <summary>A member's entry in a class sign-up list (接龙): on the backup list before leaving.</summary>
public sealed class SignUpEntry : ITenantOwned
{
    private SignUpEntry() { }

    public SignUpEntry(long organisationId, long classId, long memberId, string topic, DateTimeOffset createdAt)
    {
        OrganisationId = organisationId;
        ClassId = classId;
        MemberId = memberId;
        Topic = topic;
        CreatedAt = createdAt;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long ClassId { get; private set; }
    public long MemberId { get; private set; }
    public string Topic { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }
}

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

/// <summary>A hold that stops retention purges for a class or a member.</summary>
public sealed class LegalHold : ITenantOwned
{
    private LegalHold() { }

    public LegalHold(long organisationId, long? classId, long? memberId, string reason, long placedByMemberId, DateTimeOffset placedAt, DateTimeOffset? endsAt)
    {
        if (classId is null && memberId is null) throw new ArgumentException("A hold names a class or a member.");
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        OrganisationId = organisationId;
        ClassId = classId;
        MemberId = memberId;
        Reason = reason;
        PlacedByMemberId = placedByMemberId;
        PlacedAt = placedAt;
        EndsAt = endsAt;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long? ClassId { get; private set; }
    public long? MemberId { get; private set; }
    public string Reason { get; private set; } = "";
    public long PlacedByMemberId { get; private set; }
    public DateTimeOffset PlacedAt { get; private set; }
    public DateTimeOffset? EndsAt { get; private set; }
    public DateTimeOffset? ReleasedAt { get; private set; }

    public bool IsActive(DateTimeOffset now) => ReleasedAt is null && (EndsAt is null || EndsAt > now);

    public void Release(DateTimeOffset at) => ReleasedAt ??= at;
}
