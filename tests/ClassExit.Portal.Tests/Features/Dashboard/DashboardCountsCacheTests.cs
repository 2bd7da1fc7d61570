using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Features.Dashboard;
using Microsoft.Extensions.Time.Testing;

namespace ClassExit.Portal.Tests.Features.Dashboard;

/// <summary>Issue 16: every open dashboard of an organisation shares one computation per TTL (fake clock, no sleeps).</summary>
public class DashboardCountsCacheTests
{
    private static readonly DashboardCountsCache.Key School = new(1, null);

    private static DashboardCounts Counts(int classes, DateTimeOffset at) =>
        new(true, classes, 0, 0, 0, Enum.GetValues<ExitRequestStatus>().ToDictionary(s => s, _ => 0), 0, 0, 0, at);

    [Fact]
    public async Task ManyCallersWithinTheTtl_ShareOneComputation_ThenItIsRecomputed()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
        var cache = new DashboardCountsCache(clock);
        var computed = 0;
        var release = new TaskCompletionSource();
        async Task<DashboardCounts> Compute()
        {
            var n = Interlocked.Increment(ref computed);
            await release.Task;
            return Counts(n, clock.GetUtcNow());
        }

        // 50 dashboards open at once while the first computation is still running: all wait on that one.
        var waiting = Enumerable.Range(0, 50).Select(_ => cache.GetOrComputeAsync(School, Compute)).ToList();
        release.SetResult();
        var first = await Task.WhenAll(waiting);
        Assert.Equal(1, computed);
        Assert.All(first, c => Assert.Equal(1, c.ActiveClasses));

        clock.Advance(DashboardCountsCache.Ttl - TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await cache.GetOrComputeAsync(School, Compute)).ActiveClasses);
        Assert.Equal(1, computed);

        // Another organisation (or a staff account's own scope) is its own entry.
        Assert.Equal(2, (await cache.GetOrComputeAsync(new DashboardCountsCache.Key(1, "teacher-account"), Compute)).ActiveClasses);

        clock.Advance(TimeSpan.FromSeconds(1));
        var later = await cache.GetOrComputeAsync(School, Compute);
        Assert.Equal(3, later.ActiveClasses);
        Assert.Equal(clock.GetUtcNow(), later.ReadAt);
    }

    [Fact]
    public async Task AnExpiredEntry_IsRecomputedInTheBackground_WhileTheLastFiguresAreShown()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
        var cache = new DashboardCountsCache(clock);
        var first = await cache.GetOrComputeAsync(School, () => Task.FromResult(Counts(1, clock.GetUtcNow())));
        clock.Advance(DashboardCountsCache.Ttl);

        var recompute = new TaskCompletionSource<DashboardCounts>();
        var computations = 0;
        Task<DashboardCounts> Slow() { Interlocked.Increment(ref computations); return recompute.Task; }
        var meanwhile = cache.GetOrComputeAsync(School, Slow);
        var alsoMeanwhile = cache.GetOrComputeAsync(School, Slow);
        Assert.True(meanwhile.IsCompletedSuccessfully && alsoMeanwhile.IsCompletedSuccessfully, "callers must not wait for the recomputation");
        Assert.Same(first, await meanwhile);
        Assert.Equal(1, computations);

        recompute.SetResult(Counts(2, clock.GetUtcNow()));
        Assert.Equal(2, (await cache.GetOrComputeAsync(School, Slow)).ActiveClasses);
        Assert.Equal(1, computations);
    }

    [Fact]
    public async Task AFailedComputation_IsNotKept()
    {
        var cache = new DashboardCountsCache(new FakeTimeProvider());
        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetOrComputeAsync(School, () => throw new InvalidOperationException("database away")));
        var counts = await cache.GetOrComputeAsync(School, () => Task.FromResult(Counts(7, DateTimeOffset.UnixEpoch)));
        Assert.Equal(7, counts.ActiveClasses);
    }
}
