namespace ClassExit.Portal.Features.Ownership;

/// <summary>The <c>Ownership</c> configuration section.</summary>
public sealed class OwnershipOptions
{
    public const string SectionName = "Ownership";

    /// <summary>Days a proposal waits for an answer before the expiry job expires it.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 90)]
    public int ProposalLifetimeDays { get; set; } = 7;

    /// <summary>Cron of the expiry job.</summary>
    [System.ComponentModel.DataAnnotations.Required]
    public string ExpiryCron { get; set; } = "*/10 * * * *";
}
