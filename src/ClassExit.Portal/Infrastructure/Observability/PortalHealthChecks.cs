using ClassExit.Portal.Data;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Infrastructure.Observability;

/// <summary>Readiness: every migration of this build is applied to the database (no schema behind the code).</summary>
public sealed class MigrationsAppliedCheck(IDbContextFactory<PortalDbContext> factory) : IHealthCheck
{
    // Once applied, they stay applied for this process (a build with new migrations is a new process): read until then only.
    private volatile bool _applied;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        if (_applied) return HealthCheckResult.Healthy();
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var pending = (await db.Database.GetPendingMigrationsAsync(ct)).Count();
        if (pending > 0) return new HealthCheckResult(context.Registration.FailureStatus, $"{pending} migration(s) not applied");
        _applied = true;
        return HealthCheckResult.Healthy();
    }
}

/// <summary>
/// Readiness: this process's Hangfire server has a recent heartbeat in the job storage. An instance configured without a server
/// (<c>Jobs:ServerEnabled=false</c>) is ready without one.
/// </summary>
public sealed class JobServerCheck(IOptions<JobsOptions> options, IServiceProvider services, TimeProvider clock) : IHealthCheck
{
    private static readonly TimeSpan MaxHeartbeatAge = TimeSpan.FromMinutes(2);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        if (!options.Value.ServerEnabled) return Task.FromResult(HealthCheckResult.Healthy("no job server in this instance"));
        var storage = services.GetRequiredService<JobStorage>();
        var prefix = $"{Environment.MachineName}:{Environment.ProcessId}:";
        var now = clock.GetUtcNow().UtcDateTime;
        var mine = storage.GetMonitoringApi().Servers()
            .Where(s => s.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Any(s => s.Heartbeat is { } beat && now - beat < MaxHeartbeatAge);
        return Task.FromResult(mine ? HealthCheckResult.Healthy() : new HealthCheckResult(context.Registration.FailureStatus, "job server not running"));
    }
}
