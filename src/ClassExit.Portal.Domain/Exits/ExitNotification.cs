using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;

namespace ClassExit.Portal.Domain.Exits;

/// <summary>An exit notification sent to the class (not recorded in silent mode).</summary>
public sealed class ExitNotification : ITenantOwned
{
    private ExitNotification() { }

    public ExitNotification(long organisationId, long classId, long memberId, long exitRequestId, DateTimeOffset createdAt)
    {
        OrganisationId = organisationId;
        ClassId = classId;
        MemberId = memberId;
        ExitRequestId = exitRequestId;
        CreatedAt = createdAt;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long ClassId { get; private set; }
    public long MemberId { get; private set; }
    public long ExitRequestId { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
}
