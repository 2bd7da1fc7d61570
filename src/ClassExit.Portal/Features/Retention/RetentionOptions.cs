using System.ComponentModel.DataAnnotations;

namespace ClassExit.Portal.Features.Retention;

/// <summary>The <c>Retention</c> configuration section.</summary>
public sealed class RetentionOptions
{
    public const string SectionName = "Retention";

    /// <summary>Cron (UTC) of the nightly purge; 03:00 UTC is 11:00 in China, 19:00 UTC is 03:00 there.</summary>
    [Required]
    public string PurgeCron { get; set; } = "0 19 * * *";

    /// <summary>Most messages per batch, each batch in its own short transaction (at most 4,000: SQL Server escalates to a table lock
    /// at 5,000 row locks). Batches are sized down from it so that each holds the write lock about <see cref="TargetBatchMilliseconds"/>.</summary>
    [Range(100, 4000)]
    public int BatchSize { get; set; } = 4000;

    /// <summary>How long one batch's write transaction should hold the database's write lock (SQLite: every other writer waits).</summary>
    [Range(10, 1000)]
    public int TargetBatchMilliseconds { get; set; } = 50;

    /// <summary>Largest personal chat export (guide: 2 GB).</summary>
    [Range(1, long.MaxValue)]
    public long MaxExportBytes { get; set; } = 2L * 1024 * 1024 * 1024;
}
