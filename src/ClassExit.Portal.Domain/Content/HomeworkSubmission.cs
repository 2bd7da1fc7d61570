namespace ClassExit.Portal.Domain.Content;

/// <summary>Structured data: kept for good in the organisation.</summary>
public sealed class HomeworkSubmission : ITenantOwned
{
    private HomeworkSubmission() { }

    public HomeworkSubmission(long organisationId, long classId, long assignmentId, long memberId, DateTimeOffset submittedAt)
    {
        OrganisationId = organisationId;
        ClassId = classId;
        AssignmentId = assignmentId;
        MemberId = memberId;
        SubmittedAt = submittedAt;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long ClassId { get; private set; }
    public long AssignmentId { get; private set; }
    public long MemberId { get; private set; }
    public DateTimeOffset SubmittedAt { get; private set; }
}
