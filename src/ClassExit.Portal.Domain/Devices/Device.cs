namespace ClassExit.Portal.Domain.Devices;

public enum Platform
{
    Android = 0,
    Ios = 1,
    Windows = 2,
    Macos = 3,
}

/// <summary>Network class of a device (guide §4), which sets its sync threshold.</summary>
public enum NetworkClass
{
    SameNetwork = 0,
    CrossCarrier = 1,
    International = 2,
}

/// <summary>A client device of a member: where exits come from and where membership changes must arrive.</summary>
public sealed class Device : ITenantOwned
{
    private Device() { }

    public Device(string id, long organisationId, long memberId, Platform platform, NetworkClass networkClass, string clientVersion, string macAddress, bool bound)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        Id = id;
        OrganisationId = organisationId;
        MemberId = memberId;
        Platform = platform;
        NetworkClass = networkClass;
        ClientVersion = clientVersion;
        MacAddress = macAddress;
        IsBound = bound;
    }

    /// <summary>The client's device id (<c>X-Device-Id</c>).</summary>
    public string Id { get; private set; } = "";
    public long OrganisationId { get; private set; }
    public long MemberId { get; private set; }
    public Platform Platform { get; private set; }
    public NetworkClass NetworkClass { get; private set; }
    public string ClientVersion { get; private set; } = "";
    public string MacAddress { get; private set; } = "";
    /// <summary>Bound to the member (device binding policy).</summary>
    public bool IsBound { get; private set; }
    /// <summary>Last membership version the device said it applied.</summary>
    public long AcknowledgedVersion { get; private set; }
    public DateTimeOffset? AcknowledgedAt { get; private set; }
    /// <summary>Set by the sync check when the device missed a change beyond its network's threshold.</summary>
    public bool IsStale { get; private set; }
    public long? StaleSinceVersion { get; private set; }
    public DateTimeOffset? StaleFlaggedAt { get; private set; }
    /// <summary>An admin asked the device to resynchronise on its next acknowledgement.</summary>
    public bool ResyncRequested { get; private set; }

    public bool IsMobile => Platform is Platform.Android or Platform.Ios;

    public void Bind(bool bound) => IsBound = bound;

    public void ReportClientVersion(string version) => ClientVersion = version;

    public void Acknowledge(long version, DateTimeOffset now)
    {
        AcknowledgedVersion = version;
        AcknowledgedAt = now;
    }

    /// <summary>
    /// The device has applied membership <paramref name="version"/>: every change it thereby learnt becomes a sync sample (late when it
    /// had been flagged stale for it), and the stale flag is resolved once it has caught up with <paramref name="currentVersion"/>.
    /// </summary>
    public IReadOnlyList<DeviceSyncSample> AcknowledgeChanges(IEnumerable<MembershipChange> changes, long version, long currentVersion, DateTimeOffset at)
    {
        var samples = changes.Where(c => c.MemberId == MemberId && c.Version > AcknowledgedVersion && c.Version <= version)
            .Select(c => new DeviceSyncSample(OrganisationId, Id, MemberId, NetworkClass, c.Version, c.ChangedAt, at,
                IsStale && c.Version >= (StaleSinceVersion ?? long.MaxValue)))
            .ToList();
        if (version > AcknowledgedVersion) Acknowledge(version, at);
        if (IsStale && AcknowledgedVersion >= currentVersion) ClearStale();
        return samples;
    }

    public void MarkStale(long missedVersion, DateTimeOffset now)
    {
        IsStale = true;
        StaleSinceVersion = missedVersion;
        StaleFlaggedAt = now;
    }

    public void ClearStale()
    {
        IsStale = false;
        StaleSinceVersion = null;
        StaleFlaggedAt = null;
    }

    public void RequestResync(bool requested = true) => ResyncRequested = requested;
}
