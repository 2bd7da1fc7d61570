using System.ComponentModel.DataAnnotations;

namespace ClassExit.Portal.Features.ExitRequests;

/// <summary>The <c>ExitRequests</c> configuration section.</summary>
public sealed class ExitRequestsOptions
{
    public const string SectionName = "ExitRequests";

    /// <summary>Cron (UTC) of the approval escalation job (pending requests past the SLA become overdue).</summary>
    [Required]
    public string EscalationCron { get; set; } = "*/15 * * * *";
}
