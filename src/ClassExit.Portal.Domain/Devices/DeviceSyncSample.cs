namespace ClassExit.Portal.Domain.Devices;

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
