using System.Diagnostics;
using System.Diagnostics.Metrics;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Exits.Policy;

namespace ClassExit.Portal.Infrastructure.Observability;

/// <summary>
/// The portal's own instruments on the <see cref="MeterName"/> meter (System.Diagnostics.Metrics; exported by OpenTelemetry on
/// <c>/metrics</c> and over OTLP). Counters and histograms are recorded where the thing happens; the gauges read from the database are
/// <see cref="PortalGauges"/>. Tags are low-cardinality on purpose: no organisation, member or class ids.
/// </summary>
public static class PortalMetrics
{
    public const string MeterName = "ClassExit.Portal";

    internal static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Exits = Meter.CreateCounter<long>("classexit.exits", "{exit}",
        "Exit requests answered, by outcome (completed, pending_approval, refused), catalogue code, kind and channel.");

    private static readonly Counter<long> PurgedRows = Meter.CreateCounter<long>("classexit.purge.rows", "{row}",
        "Rows deleted by the retention purge, by table (messages, receipts).");

    private static readonly Histogram<double> PurgeRate = Meter.CreateHistogram<double>("classexit.purge.rate", "{row}/s",
        "Rows per second of each committed purge batch (messages and receipts over the write lock's hold).");

    private static readonly Counter<long> Quota = Meter.CreateCounter<long>("classexit.quota.calls", "{call}",
        "Daily batch quota: calls granted (quota used) and refused because it was used up.");

    private static readonly Histogram<double> JobDuration = Meter.CreateHistogram<double>("classexit.job.duration", "s",
        "Hangfire job durations by job (recurring id, or type.method) and outcome.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600] });

    private static readonly Counter<long> CspReports = Meter.CreateCounter<long>("classexit.csp.reports", "{report}",
        "Content-Security-Policy violation reports received, by directive.");

    public static void Exit(ExitKind kind, ExitChannel channel, ExitDecision decision, ExitRequestStatus? status)
    {
        var outcome = decision.IsRefused ? "refused" : status == ExitRequestStatus.PendingApproval ? "pending_approval" : "completed";
        Exits.Add(1, new TagList
        {
            { "outcome", outcome },
            { "code", decision.IsRefused ? decision.PrimaryCode?.ToString() ?? "0" : "0" },
            { "kind", kind.ToString() },
            { "channel", channel.ToString() },
        });
    }

    public static void PurgeBatch(int messages, int receipts, TimeSpan held)
    {
        PurgedRows.Add(messages, new KeyValuePair<string, object?>("table", "messages"));
        PurgedRows.Add(receipts, new KeyValuePair<string, object?>("table", "receipts"));
        if (held > TimeSpan.Zero) PurgeRate.Record((messages + receipts) / held.TotalSeconds);
    }

    public static void QuotaCall(bool granted) => Quota.Add(1, new KeyValuePair<string, object?>("outcome", granted ? "granted" : "exhausted"));

    public static void Job(string job, string outcome, TimeSpan elapsed) =>
        JobDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("job", job), new KeyValuePair<string, object?>("outcome", outcome));

    public static void CspReport(string? directive) =>
        CspReports.Add(1, new KeyValuePair<string, object?>("directive", Known(directive)));

    // A report names any directive it likes: only the policy's own ones become tag values.
    private static readonly HashSet<string> Directives = ["default-src", "script-src", "script-src-elem", "script-src-attr", "style-src",
        "style-src-elem", "style-src-attr", "img-src", "font-src", "connect-src", "object-src", "base-uri", "form-action", "frame-ancestors",
        "frame-src", "worker-src", "manifest-src"];

    private static string Known(string? directive) => directive is not null && Directives.Contains(directive) ? directive : "other";
}
