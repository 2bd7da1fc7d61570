namespace ClassExit.Portal.Domain.Content;

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
