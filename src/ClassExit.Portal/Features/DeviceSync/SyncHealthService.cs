using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.DeviceSync;

/// <summary>Sync figures of one network class over a window.</summary>
/// <param name="Delivered">Changes acknowledged in the window.</param>
/// <param name="Late">Of those, acknowledged only after the device had been flagged stale.</param>
/// <param name="Failed">Changes still unacknowledged past the threshold (devices stale now).</param>
public sealed record NetworkSyncStats(NetworkClass Network, int Delivered, int Late, int Failed, double? P50Seconds, double? P95Seconds)
{
    /// <summary>Changes that never arrived, as a share of all due changes (the guide's failure rate).</summary>
    public double FailureRatePercent => Delivered + Failed == 0 ? 0 : 100.0 * Failed / (Delivered + Failed);
}

public sealed class SyncHealthService(TenantDb tenantDb, TimeProvider clock)
{
    /// <summary>Per network class, over the window; empty for a caller who does not read organisation-wide lists (ADR 0007).</summary>
    public async Task<IReadOnlyList<NetworkSyncStats>> StatsAsync(TimeSpan window, CancellationToken ct = default)
    {
        if (!ReadScope.ReadsOrganisation(await tenantDb.UserAsync())) return [];
        await using var db = await tenantDb.CreateAsync(ct);
        var since = clock.GetUtcNow() - window;
        var samples = await db.DeviceSyncSamples.AsNoTracking().Where(s => s.AcknowledgedAt >= since)
            .Select(s => new { s.NetworkClass, s.SyncMilliseconds, s.WasStale }).ToListAsync(ct);
        var failed = await db.Devices.AsNoTracking().Where(d => d.IsStale && d.StaleFlaggedAt >= since)
            .GroupBy(d => d.NetworkClass).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        return Enum.GetValues<NetworkClass>().Select(n =>
        {
            var times = samples.Where(s => s.NetworkClass == n).Select(s => s.SyncMilliseconds / 1000.0).Order().ToList();
            return new NetworkSyncStats(n, times.Count, samples.Count(s => s.NetworkClass == n && s.WasStale),
                failed.Where(f => f.Key == n).Sum(f => f.Count), Percentile(times, 0.50), Percentile(times, 0.95));
        }).ToList();
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double? Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0) return null;
        var rank = (int)Math.Ceiling(p * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}
