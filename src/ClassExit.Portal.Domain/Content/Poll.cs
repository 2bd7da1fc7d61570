namespace ClassExit.Portal.Domain.Content;

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
