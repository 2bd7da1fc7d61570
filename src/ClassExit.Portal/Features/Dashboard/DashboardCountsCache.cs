using System.Collections.Concurrent;

namespace ClassExit.Portal.Features.Dashboard;

/// <summary>
/// Dashboard counts shared by every circuit (issue 16): one computation per organisation (or per staff account, whose counts cover
/// only their classes) per <see cref="Ttl"/>, however many dashboards are open. Concurrent callers of an expired entry await the same
/// computation. No invalidation: a figure is at most <see cref="Ttl"/> old, and the page says when it was read.
/// </summary>
public sealed class DashboardCountsCache(TimeProvider clock)
{
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);
    private const int PruneAbove = 1_000;

    private readonly ConcurrentDictionary<Key, Entry> _entries = new();

    /// <param name="Account">Null for organisation-wide counts; else the account whose classes the counts cover.</param>
    public readonly record struct Key(long OrganisationId, string? Account);

    /// <param name="Previous">The last figures computed for the key, shown while <see cref="Counts"/> is being recomputed.</param>
    private sealed record Entry(Lazy<Task<DashboardCounts>> Counts, DateTimeOffset StartedAt, DashboardCounts? Previous);

    /// <summary>
    /// The entry for <paramref name="key"/>: computed once per <see cref="Ttl"/>. Once an entry has figures, an expired entry is
    /// recomputed in the background and callers get the last figures meanwhile (their <see cref="DashboardCounts.ReadAt"/> says how
    /// old): only the very first dashboard of an organisation waits for the counts.
    /// </summary>
    public Task<DashboardCounts> GetOrComputeAsync(Key key, Func<Task<DashboardCounts>> compute)
    {
        while (true)
        {
            var now = clock.GetUtcNow();
            _entries.TryGetValue(key, out var current);
            if (current is not null && now - current.StartedAt < Ttl && !Failed(current))
                return Serve(current);
            var previous = current is null ? null : Succeeded(current) ?? current.Previous;
            var fresh = new Entry(new Lazy<Task<DashboardCounts>>(() => RunAsync(compute), LazyThreadSafetyMode.ExecutionAndPublication), now, previous);
            var won = current is null ? _entries.TryAdd(key, fresh) : _entries.TryUpdate(key, fresh, current);
            if (!won) continue;
            if (_entries.Count > PruneAbove) Prune(now);
            _ = fresh.Counts.Value; // start it
            return Serve(fresh);
        }
    }

    private static Task<DashboardCounts> Serve(Entry entry)
    {
        var counts = entry.Counts.Value;
        return counts.IsCompletedSuccessfully || entry.Previous is null ? counts : Task.FromResult(entry.Previous);
    }

    private static DashboardCounts? Succeeded(Entry entry) =>
        entry.Counts.IsValueCreated && entry.Counts.Value.IsCompletedSuccessfully ? entry.Counts.Value.Result : null;

    // A computation that throws at once becomes a faulted task (not an exception the Lazy would keep), so it is not kept either.
    private static async Task<DashboardCounts> RunAsync(Func<Task<DashboardCounts>> compute) => await compute();

    private static bool Failed(Entry entry) =>
        entry.Counts.IsValueCreated && (entry.Counts.Value.IsFaulted || entry.Counts.Value.IsCanceled);

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, entry) in _entries)
            if (now - entry.StartedAt >= Ttl) _entries.TryRemove(new KeyValuePair<Key, Entry>(key, entry));
    }
}
