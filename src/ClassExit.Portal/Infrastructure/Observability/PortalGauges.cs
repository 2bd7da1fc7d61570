using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Exits;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Infrastructure.Observability;

/// <summary>
/// Gauges read from the database: approvals waiting (and overdue), the age of the oldest, stale devices. Platform-wide figures (no
/// organisation tag), read in a few index seeks (<c>(OrganisationId, Status, CreatedAt)</c> per organisation, <c>(IsStale, …)</c>)
/// at most once per <see cref="MetricsOptions.GaugeRefreshSeconds"/>: a scrape between two reads gets the last figures, one that finds
/// them expired starts one read (concurrent scrapes share it) and waits for it briefly. The dashboard's <c>DashboardCountsCache</c> is
/// per organisation and per staff account and computes far more than these figures, so it is not reused here.
/// </summary>
public sealed class PortalGauges
{
    private static readonly TimeSpan WaitForRead = TimeSpan.FromSeconds(2);

    private readonly IDbContextFactory<PortalDbContext> _factory;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _ttl;
    private readonly ILogger<PortalGauges> _logger;
    private readonly Lock _gate = new();
    private Snapshot? _last;
    private Task<Snapshot>? _reading;

    public sealed record Snapshot(int ApprovalsWaiting, int ApprovalsOverdue, double OldestWaitingSeconds, int StaleDevices, DateTimeOffset ReadAt);

    public PortalGauges(IDbContextFactory<PortalDbContext> factory, TimeProvider clock, IOptions<MetricsOptions> options, ILogger<PortalGauges> logger)
    {
        (_factory, _clock, _logger) = (factory, clock, logger);
        _ttl = TimeSpan.FromSeconds(options.Value.GaugeRefreshSeconds);
        var meter = PortalMetrics.Meter;
        meter.CreateObservableGauge("classexit.approvals.waiting", () => Current()?.ApprovalsWaiting ?? 0, "{request}",
            "Exit requests waiting for approval, all organisations.");
        meter.CreateObservableGauge("classexit.approvals.overdue", () => Current()?.ApprovalsOverdue ?? 0, "{request}",
            "Exit requests waiting for approval past their SLA.");
        meter.CreateObservableGauge("classexit.approvals.oldest_age", () => Current()?.OldestWaitingSeconds ?? 0, "s",
            "Age of the oldest exit request waiting for approval (0 when none waits).");
        meter.CreateObservableGauge("classexit.devices.stale", () => Current()?.StaleDevices ?? 0, "{device}",
            "Devices whose sync state is stale.");
    }

    /// <summary>The figures, read again when older than the refresh interval (null only when no read has ever succeeded).</summary>
    public Snapshot? Current()
    {
        Task<Snapshot> reading;
        lock (_gate)
        {
            if (_last is { } last && _clock.GetUtcNow() - last.ReadAt < _ttl) return last;
            _reading ??= ReadAsync();
            reading = _reading;
        }
        // Gauge callbacks are synchronous: wait a little for the read, else serve the last figures.
        try
        {
            if (reading.Wait(WaitForRead)) return reading.Result;
        }
        catch (AggregateException ex)
        {
            _logger.LogWarning(ex.InnerException, "Reading the portal gauges failed");
        }
        lock (_gate) return _last;
    }

    public async Task<Snapshot> ReadAsync()
    {
        try
        {
            await using var db = (await _factory.CreateDbContextAsync()).ForSystem();
            var now = _clock.GetUtcNow();
            // One correlated probe of the (OrganisationId, Status, CreatedAt) index per organisation, not a scan of every request.
            var perOrganisation = await db.Organisations.AsNoTracking().Select(o => new
            {
                Waiting = db.ExitRequests.Count(e => e.OrganisationId == o.Id && e.Status == ExitRequestStatus.PendingApproval),
                Overdue = db.ExitRequests.Count(e => e.OrganisationId == o.Id && e.Status == ExitRequestStatus.PendingApproval && e.Overdue),
                Oldest = db.ExitRequests.Where(e => e.OrganisationId == o.Id && e.Status == ExitRequestStatus.PendingApproval)
                    .OrderBy(e => e.CreatedAt).Select(e => (DateTimeOffset?)e.CreatedAt).FirstOrDefault(),
            }).ToListAsync();
            var stale = await db.Devices.CountAsync(d => d.IsStale);
            var oldest = perOrganisation.Where(p => p.Oldest is not null).Select(p => p.Oldest!.Value).DefaultIfEmpty(now).Min();
            var snapshot = new Snapshot(perOrganisation.Sum(p => p.Waiting), perOrganisation.Sum(p => p.Overdue),
                Math.Max(0, (now - oldest).TotalSeconds), stale, now);
            lock (_gate) _last = snapshot;
            return snapshot;
        }
        finally
        {
            lock (_gate) _reading = null;
        }
    }
}
