using System.Linq.Expressions;

namespace ClassExit.Portal.Domain.Content;

public enum LiveStreamStatus
{
    Scheduled = 0,
    Running = 1,
    Ended = 2,
    Cancelled = 3,
}

public sealed class LiveStream : ITenantOwned
{
    private LiveStream() { }

    public LiveStream(long organisationId, long classId, long creatorMemberId, string title, DateTimeOffset scheduledAt, LiveStreamStatus status = LiveStreamStatus.Scheduled)
    {
        OrganisationId = organisationId;
        ClassId = classId;
        CreatorMemberId = creatorMemberId;
        HostMemberId = creatorMemberId;
        Title = title;
        ScheduledAt = scheduledAt;
        Status = status;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long ClassId { get; private set; }
    public long CreatorMemberId { get; private set; }
    public long HostMemberId { get; private set; }
    public string Title { get; private set; } = "";
    public DateTimeOffset ScheduledAt { get; private set; }
    public LiveStreamStatus Status { get; private set; }

    /// <summary>Unfinished: scheduled or running. One definition for queries and for code.</summary>
    public static readonly Expression<Func<LiveStream, bool>> Unfinished = l => l.Status == LiveStreamStatus.Scheduled || l.Status == LiveStreamStatus.Running;

    private static readonly Func<LiveStream, bool> IsUnfinishedCompiled = Unfinished.Compile();

    public bool IsUnfinished => IsUnfinishedCompiled(this);

    public void End() => Status = LiveStreamStatus.Ended;

    public void HandOverTo(long memberId) => HostMemberId = memberId;
}
