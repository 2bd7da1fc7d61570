using System.Diagnostics;
using Hangfire;
using Hangfire.Server;

namespace ClassExit.Portal.Infrastructure.Observability;

/// <summary>
/// A Hangfire server filter that records every job's duration in <c>classexit.job.duration</c>, tagged with the job (its recurring job
/// id, else <c>Type.Method</c>) and its outcome (succeeded, failed, canceled). Hangfire's filters are process-wide: added once.
/// </summary>
public sealed class HangfireJobMetrics : IServerFilter
{
    private const string StartedKey = "cep:started";
    private static readonly Lock Gate = new();

    public static void AddOnce()
    {
        lock (Gate)
            if (!GlobalJobFilters.Filters.Any(f => f.Instance is HangfireJobMetrics))
                GlobalJobFilters.Filters.Add(new HangfireJobMetrics());
    }

    public void OnPerforming(PerformingContext context) => context.Items[StartedKey] = Stopwatch.GetTimestamp();

    public void OnPerformed(PerformedContext context)
    {
        if (!context.Items.TryGetValue(StartedKey, out var started) || started is not long start) return;
        var outcome = context.Canceled ? "canceled" : context.Exception is null || context.ExceptionHandled ? "succeeded" : "failed";
        PortalMetrics.Job(JobName(context), outcome, Stopwatch.GetElapsedTime(start));
    }

    internal static string JobName(PerformContext context)
    {
        string? recurring = null;
        try
        {
            recurring = context.GetJobParameter<string>("RecurringJobId");
        }
        catch (Exception)
        {
            // A parameter that does not deserialise names no job: fall back to the method.
        }
        var job = context.BackgroundJob.Job;
        return recurring ?? (job is null ? "unknown" : $"{job.Type.Name}.{job.Method.Name}");
    }
}
