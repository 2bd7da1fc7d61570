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
