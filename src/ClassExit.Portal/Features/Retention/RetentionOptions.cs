using System.ComponentModel.DataAnnotations;

namespace ClassExit.Portal.Features.Retention;

/// <summary>The <c>Retention</c> configuration section.</summary>
public sealed class RetentionOptions
{
    public const string SectionName = "Retention";

    /// <summary>Cron (UTC) of the nightly purge; 03:00 UTC is 11:00 in China, 19:00 UTC is 03:00 there.</summary>
    [Required]
    public string PurgeCron { get; set; } = "0 19 * * *";

    /// <summary>Rows deleted per statement, each batch in its own short transaction (at most 4,000).</summary>
    [Range(100, 4000)]
    public int BatchSize { get; set; } = 4000;

    /// <summary>Largest personal chat export (guide: 2 GB).</summary>
    [Range(1, long.MaxValue)]
    public long MaxExportBytes { get; set; } = 2L * 1024 * 1024 * 1024;
}
