namespace ClassExit.Portal.Domain.Classes;

/// <summary>A member has completed one checklist item of a class.</summary>
public sealed class HandoverCompletion : ITenantOwned
{
    private HandoverCompletion() { }

    public HandoverCompletion(long organisationId, long checklistItemId, long memberId, DateTimeOffset completedAt)
    {
        OrganisationId = organisationId;
        ChecklistItemId = checklistItemId;
        MemberId = memberId;
        CompletedAt = completedAt;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long ChecklistItemId { get; private set; }
    public long MemberId { get; private set; }
    public DateTimeOffset CompletedAt { get; private set; }
}
