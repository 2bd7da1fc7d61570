namespace ClassExit.Portal.Domain.Webhooks;

/// <summary>
/// The retry schedule of a webhook delivery: exponential back-off, doubling from one minute (1, 2, 4 … 256 minutes), each wait
/// capped at six hours, for up to a day after the event; then it is given up. Twelve attempts in all.
/// </summary>
public static class WebhookRetry
{
    public static readonly TimeSpan FirstWait = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxWait = TimeSpan.FromHours(6);
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromDays(1);

    /// <summary>The wait after the <paramref name="attempts"/>-th failed attempt (1-based).</summary>
    public static TimeSpan Wait(int attempts)
    {
        var minutes = Math.Pow(2, Math.Min(attempts - 1, 20)) * FirstWait.TotalMinutes;
        return TimeSpan.FromMinutes(Math.Min(minutes, MaxWait.TotalMinutes));
    }

    /// <summary>When to try again after <paramref name="attempts"/> failed attempts of an event of <paramref name="createdAt"/>; null: give up.</summary>
    public static DateTimeOffset? NextAttempt(DateTimeOffset createdAt, int attempts)
    {
        var at = createdAt;
        for (var i = 1; i <= attempts; i++) at += Wait(i);
        return at - createdAt > GiveUpAfter ? null : at;
    }

    /// <summary>Every attempt's due time after the event, for the README and the page: 0, 1 min, 3 min, 7 min …</summary>
    public static IReadOnlyList<TimeSpan> Schedule()
    {
        var list = new List<TimeSpan> { TimeSpan.Zero };
        var at = TimeSpan.Zero;
        for (var i = 1; ; i++)
        {
            at += Wait(i);
            if (at > GiveUpAfter) return list;
            list.Add(at);
        }
    }
}
