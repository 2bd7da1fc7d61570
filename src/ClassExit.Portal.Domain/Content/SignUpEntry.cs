namespace ClassExit.Portal.Domain.Content;

/// <summary>A member's entry in a class sign-up list (接龙): on the backup list before leaving.</summary>
public sealed class SignUpEntry : ITenantOwned
{
    private SignUpEntry() { }

    public SignUpEntry(long organisationId, long classId, long memberId, string topic, DateTimeOffset createdAt)
    {
        OrganisationId = organisationId;
        ClassId = classId;
        MemberId = memberId;
        Topic = topic;
        CreatedAt = createdAt;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long ClassId { get; private set; }
    public long MemberId { get; private set; }
    public string Topic { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }
}
