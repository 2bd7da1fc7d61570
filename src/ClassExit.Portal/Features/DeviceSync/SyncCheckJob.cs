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
public sealed class SyncCheckJob(IDbContextFactory<PortalDbContext> factory, TimeProvider clock, IOptions<DeviceSyncOptions> options,
    Notifications.PortalEvents events)
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

    /// <summary>How long a device must have missed a change to be in the daily report.</summary>
    public static readonly TimeSpan ReportAfter = TimeSpan.FromHours(1);

    /// <summary>
    /// The daily digest to each organisation's admins: devices that have missed a membership change for over an hour (counted per
    /// organisation, the oldest missed change named). Organisations with none are not told. Returns the number of reports.
    /// </summary>
    public async Task<int> ReportStaleDevicesAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var before = now - ReportAfter;
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var stale = await (from d in db.Devices
                           join c in db.MembershipChanges on new { d.MemberId, Version = d.StaleSinceVersion ?? -1 } equals new { c.MemberId, c.Version }
                           where d.IsStale && c.ChangedAt <= before
                           group c by d.OrganisationId into g
                           select new { OrganisationId = g.Key, Count = g.Count(), Oldest = g.Min(c => c.ChangedAt) }).ToListAsync(ct);
        if (stale.Count == 0) return 0;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var org in stale)
            await events.RaiseAsync(db, new Notifications.PortalEvent(org.OrganisationId, Domain.Notifications.EventKinds.DevicesStale, now,
                "SyncReport", now.ToString("yyyy-MM-dd"), Data: new Dictionary<string, object?>
                {
                    ["count"] = org.Count, ["oldest_hours"] = Math.Round((now - org.Oldest).TotalHours, 1),
                }), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return stale.Count;
    }
}
