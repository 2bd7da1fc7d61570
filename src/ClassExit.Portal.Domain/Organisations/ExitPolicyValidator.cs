using ClassExit.Portal.Domain.Exits.Policy;

namespace ClassExit.Portal.Domain.Organisations;

/// <summary>Checks an organisation's exit policy before it is saved; messages in Chinese and English.</summary>
public static class ExitPolicyValidator
{
    public static IReadOnlyList<string> Validate(ExitPolicy p)
    {
        var errors = new List<string>();
        if (!ClientVersion.TryParse(p.MinimumClientVersion, out _))
            errors.Add("最低客户端版本格式应如 3.1.10。The minimum client version must look like 3.1.10.");
        if (p.ApprovalSlaHours is < 1 or > 720) errors.Add("审批时限须在 1–720 小时之间。The approval SLA must be 1–720 hours.");
        if (p.FreezeWindowDays is < 0 or > 60) errors.Add("冻结期须在 0–60 天之间（0 为关闭）。The freeze window must be 0–60 days (0 = off).");
        if (p.AllowedClockSkewSeconds is < 0 or > 3600) errors.Add("允许的时钟偏差须在 0–3600 秒之间。The allowed clock skew must be 0–3600 seconds.");
        if (p.StudentRetentionDays < 1) errors.Add("学生保留期至少 1 天。Student retention is at least 1 day.");
        if (p.TeacherRetentionDays < 1) errors.Add("教师保留期至少 1 天。Teacher retention is at least 1 day.");
        if (p.AdminRetentionDays is < 1) errors.Add("管理员保留期至少 1 天，或选择永久。Admin retention is at least 1 day, or never purged.");
        if (p.ClassifiedRetentionDays < 1) errors.Add("涉密班级保留期至少 1 天。Classified retention is at least 1 day.");
        if (p.StudentRetentionDays > 36500 || p.TeacherRetentionDays > 36500 || p.ClassifiedRetentionDays > 36500 || p.AdminRetentionDays > 36500)
            errors.Add("保留期最多 100 年。Retention is at most 100 years.");
        return errors;
    }
}
