using ClassExit.Portal.Domain.Exits.Policy;

namespace ClassExit.Portal.Domain.Organisations;

/// <summary>What is wrong with a proposed exit policy; the portal words each one in the reader's language.</summary>
public enum PolicyViolation
{
    MinimumClientVersionFormat,
    ApprovalSlaRange,
    FreezeWindowRange,
    ClockSkewRange,
    StudentRetentionRange,
    TeacherRetentionRange,
    AdminRetentionRange,
    ClassifiedRetentionRange,
    RetentionTooLong,
}

/// <summary>Checks an organisation's exit policy before it is saved.</summary>
public static class ExitPolicyValidator
{
    public const int MaxApprovalSlaHours = 720;
    public const int MaxFreezeWindowDays = 60;
    public const int MaxClockSkewSeconds = 3600;
    public const int MaxRetentionDays = 36500;

    public static IReadOnlyList<PolicyViolation> Validate(ExitPolicy p)
    {
        var errors = new List<PolicyViolation>();
        if (!ClientVersion.TryParse(p.MinimumClientVersion, out _, requirePatch: true)) errors.Add(PolicyViolation.MinimumClientVersionFormat);
        if (p.ApprovalSlaHours is < 1 or > MaxApprovalSlaHours) errors.Add(PolicyViolation.ApprovalSlaRange);
        if (p.FreezeWindowDays is < 0 or > MaxFreezeWindowDays) errors.Add(PolicyViolation.FreezeWindowRange);
        if (p.AllowedClockSkewSeconds is < 0 or > MaxClockSkewSeconds) errors.Add(PolicyViolation.ClockSkewRange);
        if (p.StudentRetentionDays < 1) errors.Add(PolicyViolation.StudentRetentionRange);
        if (p.TeacherRetentionDays < 1) errors.Add(PolicyViolation.TeacherRetentionRange);
        if (p.AdminRetentionDays is < 1) errors.Add(PolicyViolation.AdminRetentionRange);
        if (p.ClassifiedRetentionDays < 1) errors.Add(PolicyViolation.ClassifiedRetentionRange);
        if (p.StudentRetentionDays > MaxRetentionDays || p.TeacherRetentionDays > MaxRetentionDays
            || p.ClassifiedRetentionDays > MaxRetentionDays || p.AdminRetentionDays > MaxRetentionDays)
            errors.Add(PolicyViolation.RetentionTooLong);
        return errors;
    }
}
