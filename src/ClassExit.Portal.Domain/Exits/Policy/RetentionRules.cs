using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Organisations;

namespace ClassExit.Portal.Domain.Exits.Policy;

/// <summary>How long the leaver's chat messages stay after an exit (domain.md §3, §6).</summary>
public static class RetentionRules
{
    /// <summary>
    /// Days to keep the leaver's chat: classified classes keep it 3 years whatever the role; otherwise students and ordinary members
    /// 30 days, teachers, class admins and owners 90 days, enterprise admins for good (null).
    /// </summary>
    public static int? RetentionDays(ClassRole role, bool leaverIsEnterpriseAdmin, Classification classification, ExitPolicy policy)
    {
        if (classification == Classification.Classified) return policy.ClassifiedRetentionDays;
        if (leaverIsEnterpriseAdmin) return policy.AdminRetentionDays;
        return role == ClassRole.Student ? policy.StudentRetentionDays : policy.TeacherRetentionDays;
    }

    /// <summary>The purge date of the leaver's messages, or null when they are kept for good.</summary>
    public static DateTimeOffset? PurgeAfter(DateTimeOffset leftAt, ClassRole role, bool leaverIsEnterpriseAdmin, Classification classification, ExitPolicy policy) =>
        RetentionDays(role, leaverIsEnterpriseAdmin, classification, policy) is { } days ? leftAt.AddDays(days) : null;
}
