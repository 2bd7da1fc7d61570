namespace ClassExit.Portal.Domain.Content;

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
