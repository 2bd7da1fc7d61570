using ClassExit.Portal.Infrastructure.Jobs;
using Hangfire;
using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Devices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Features.DeviceSync;

/// <summary>
/// Flags devices that have not acknowledged a membership change within their network class's threshold, with the first change they
/// missed. One set-based UPDATE per network class; an already stale device is not touched again (safe to run twice), and when
/// nothing changed the UPDATE matches no row. Flags are resolved by the acknowledgement itself.
/// </summary>
public sealed class SyncCheckJob(IDbContextFactory<PortalDbContext> factory, TimeProvider clock, IOptions<DeviceSyncOptions> options)
{
    public const string JobId = "device-sync-check";

    [DisableConcurrentExecution(JobLocks.SyncCheck, JobLocks.WaitSeconds)]
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var flagged = 0;
        foreach (var network in Enum.GetValues<NetworkClass>())
        {
            var due = now - options.Value.Threshold(network);
            flagged += await db.Devices
                .Where(d => !d.IsStale && d.NetworkClass == network)
                .Where(d => db.MembershipChanges.Any(c => c.MemberId == d.MemberId && c.Version == d.AcknowledgedVersion + 1 && c.ChangedAt <= due))
                .ExecuteUpdateAsync(u => u
                    .SetProperty(d => d.IsStale, true)
                    .SetProperty(d => d.StaleSinceVersion, d => d.AcknowledgedVersion + 1)
                    .SetProperty(d => d.StaleFlaggedAt, now), ct);
        }
        return flagged;
    }
}
