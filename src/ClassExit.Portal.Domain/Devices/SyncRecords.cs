namespace ClassExit.Portal.Domain.Devices;

/// <summary>One membership change of a member (an exit, a removal, a role change): the version devices must acknowledge.</summary>
public sealed class MembershipChange : ITenantOwned
{
    private MembershipChange() { }

    public MembershipChange(long organisationId, long memberId, long version, long? classId, string kind, DateTimeOffset changedAt)
    {
        OrganisationId = organisationId;
        MemberId = memberId;
        Version = version;
        ClassId = classId;
        Kind = kind;
        ChangedAt = changedAt;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long MemberId { get; private set; }
    public long Version { get; private set; }
    public long? ClassId { get; private set; }
    public string Kind { get; private set; } = "";
    public DateTimeOffset ChangedAt { get; private set; }
}

/// <summary>A device learnt of a change: how long it took, and whether it had been flagged stale (a failed sync) first.</summary>
public sealed class DeviceSyncSample : ITenantOwned
{
    private DeviceSyncSample() { }

    public DeviceSyncSample(long organisationId, string deviceId, long memberId, NetworkClass networkClass, long version, DateTimeOffset changedAt,
        DateTimeOffset acknowledgedAt, bool wasStale)
    {
        OrganisationId = organisationId;
        DeviceId = deviceId;
        MemberId = memberId;
        NetworkClass = networkClass;
        Version = version;
        ChangedAt = changedAt;
        AcknowledgedAt = acknowledgedAt;
        SyncMilliseconds = Math.Max(0, (long)(acknowledgedAt - changedAt).TotalMilliseconds);
        WasStale = wasStale;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public string DeviceId { get; private set; } = "";
    public long MemberId { get; private set; }
    public NetworkClass NetworkClass { get; private set; }
    public long Version { get; private set; }
    public DateTimeOffset ChangedAt { get; private set; }
    public DateTimeOffset AcknowledgedAt { get; private set; }
    public long SyncMilliseconds { get; private set; }
    public bool WasStale { get; private set; }
}

/// <summary>Sync thresholds and the guide's reference figures per network class (guide §4).</summary>
public static class SyncReference
{
    public static (string Time, double FailureRatePercent) For(NetworkClass n) => n switch
    {
        NetworkClass.SameNetwork => ("≤ 30 s", 0.2),
        NetworkClass.CrossCarrier => ("45–120 s", 1.7),
        _ => ("≥ 3 min", 12.3),
    };
}
