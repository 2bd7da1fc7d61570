namespace ClassExit.Portal.Domain.Notifications;

/// <summary>
/// One in-portal notification: one event (<see cref="Kind"/>, from <see cref="EventKinds"/>) told to one portal account. The text is
/// rendered when it is shown, in the reader's language, from <see cref="DataJson"/>; <see cref="Link"/> is a portal path the
/// recipient may open (checked when the recipients were chosen).
/// </summary>
public sealed class Notification : ITenantOwned
{
    private Notification() { }

    public Notification(long organisationId, string userId, string kind, string? objectType, string? objectId, string link, string dataJson,
        DateTimeOffset createdAt)
    {
        OrganisationId = organisationId;
        UserId = userId;
        Kind = kind;
        ObjectType = objectType;
        ObjectId = objectId;
        Link = link;
        DataJson = dataJson;
        CreatedAt = createdAt;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    /// <summary>The portal account (Identity user id) told.</summary>
    public string UserId { get; private set; } = "";
    public string Kind { get; private set; } = "";
    public string? ObjectType { get; private set; }
    public string? ObjectId { get; private set; }
    public string Link { get; private set; } = "";
    /// <summary>The event's payload (snake_case keys): the arguments of its text.</summary>
    public string DataJson { get; private set; } = "{}";
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? ReadAt { get; private set; }

    public bool IsRead => ReadAt is not null;

    public void MarkRead(DateTimeOffset now) => ReadAt ??= now;
}
