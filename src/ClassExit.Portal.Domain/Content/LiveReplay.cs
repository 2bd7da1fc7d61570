namespace ClassExit.Portal.Domain.Content;

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
