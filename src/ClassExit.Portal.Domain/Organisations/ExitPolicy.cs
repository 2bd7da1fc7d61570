namespace ClassExit.Portal.Domain.Organisations;

/// <summary>
/// The organisation's exit policies (domain.md "Enterprise policies"). Class-level settings
/// (blacklist, key, classified, term end, checklist) live on the class; these are the organisation-wide ones.
/// </summary>
public sealed record ExitPolicy
{
    /// <summary>Every self-exit needs an approver, even a student's.</summary>
    public bool ExitRequiresApproval { get; init; }

    /// <summary>Hours a pending approval may wait before it is overdue and escalated.</summary>
    public int ApprovalSlaHours { get; init; } = 48;

    /// <summary>Days before a class's term end during which nobody may leave it; 0 switches the freeze off.</summary>
    public int FreezeWindowDays { get; init; }

    /// <summary>Exits are accepted only from the member's bound devices (MAC binding).</summary>
    public bool DeviceBindingRequired { get; init; }

    /// <summary>Lowest client version allowed to exit (guide §8: 3.1.10).</summary>
    public string MinimumClientVersion { get; init; } = "3.1.10";

    /// <summary>Largest allowed difference between the device clock and the server clock, in seconds.</summary>
    public int AllowedClockSkewSeconds { get; init; } = 300;

    /// <summary>Chat retention after a student's or ordinary member's exit, in days.</summary>
    public int StudentRetentionDays { get; init; } = 30;

    /// <summary>Chat retention after a teacher's or class admin's exit, in days.</summary>
    public int TeacherRetentionDays { get; init; } = 90;

    /// <summary>Chat retention after an enterprise admin's exit, in days; null keeps it for good.</summary>
    public int? AdminRetentionDays { get; init; }

    /// <summary>Chat retention in classified classes whatever the role (government: 3 years).</summary>
    public int ClassifiedRetentionDays { get; init; } = 3 * 365;

    /// <summary>Bulk-exit API calls per organisation per local calendar day.</summary>
    public int DailyBatchQuota { get; init; } = 500;
}
