using System.Linq.Expressions;

namespace ClassExit.Portal.Domain.Content;

public enum AssignmentStatus
{
    Open = 0,
    Closed = 1,
}

/// <summary>Homework set in a class: its creator grades it until the duty is handed over.</summary>
public sealed class Assignment : ITenantOwned
{
    private Assignment() { }

    public Assignment(long organisationId, long classId, long creatorMemberId, string title, DateTimeOffset dueAt, int submissionCount = 0, int gradedCount = 0)
    {
        OrganisationId = organisationId;
        ClassId = classId;
        CreatorMemberId = creatorMemberId;
        ResponsibleMemberId = creatorMemberId;
        Title = title;
        DueAt = dueAt;
        SubmissionCount = submissionCount;
        GradedCount = gradedCount;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long ClassId { get; private set; }
    public long CreatorMemberId { get; private set; }
    /// <summary>Who grades it now; moves with a duty handover.</summary>
    public long ResponsibleMemberId { get; private set; }
    public string Title { get; private set; } = "";
    public AssignmentStatus Status { get; private set; }
    public DateTimeOffset DueAt { get; private set; }
    public int SubmissionCount { get; private set; }
    public int GradedCount { get; private set; }

    /// <summary>Unfinished: open, or submissions still to grade. One definition for queries and for code.</summary>
    public static readonly Expression<Func<Assignment, bool>> Unfinished = a => a.Status == AssignmentStatus.Open || a.GradedCount < a.SubmissionCount;

    private static readonly Func<Assignment, bool> IsUnfinishedCompiled = Unfinished.Compile();

    public bool IsUnfinished => IsUnfinishedCompiled(this);

    public void Close() => Status = AssignmentStatus.Closed;

    public void RecordGrading(int graded) => GradedCount = Math.Clamp(graded, 0, SubmissionCount);

    public void HandOverTo(long memberId) => ResponsibleMemberId = memberId;
}
