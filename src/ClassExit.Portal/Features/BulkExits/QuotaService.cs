using ClassExit.Portal.Data;
using ClassExit.Portal.Infrastructure.Observability;
using ClassExit.Portal.Domain.Bulk;
using ClassExit.Portal.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.BulkExits;

/// <summary>The organisation's daily bulk-exit quota on its local calendar day.</summary>
public sealed record QuotaState(int Limit, int Used, DateOnly Day, DateTimeOffset ResetsAt)
{
    public int Remaining => Math.Max(0, Limit - Used);

    public int RetryAfterSeconds(DateTimeOffset now) => Math.Max(1, (int)Math.Ceiling((ResetsAt - now).TotalSeconds));
}

/// <summary>
/// Counts bulk-exit calls in the database, so that a restart or a second portal instance cannot reset the count; one atomic
/// conditional UPDATE per call keeps it exact under concurrency.
/// </summary>
public sealed class QuotaService(TenantDb tenantDb, TimeProvider clock)
{
    public async Task<QuotaState> GetAsync(CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        return await StateAsync(db, await TodayAsync(db, ct), ct);
    }

    /// <summary>Uses one call of today's quota; null when it is used up (nothing is consumed then).</summary>
    public async Task<QuotaState?> TryConsumeAsync(CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var today = await TodayAsync(db, ct);
        var (orgId, limit, day, _) = today;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var granted = await db.QuotaUsages
                .Where(q => q.OrganisationId == orgId && q.Day == day && q.Used < limit)
                .ExecuteUpdateAsync(s => s.SetProperty(q => q.Used, q => q.Used + 1), ct);
            if (granted == 1)
            {
                PortalMetrics.QuotaCall(granted: true);
                return await StateAsync(db, today, ct);
            }
            if (await db.QuotaUsages.AnyAsync(q => q.OrganisationId == orgId && q.Day == day, ct))
            {
                PortalMetrics.QuotaCall(granted: false);
                return null;
            }
            db.QuotaUsages.Add(new QuotaUsage(orgId, day));
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // Another call created today's counter first (unique index): go round and increment it.
                db.ChangeTracker.Clear();
            }
        }
        throw new InvalidOperationException("Could not reserve quota after 5 attempts.");
    }

    /// <summary>
    /// Gives back one call taken by <see cref="TryConsumeAsync"/> on <paramref name="day"/> (the day it was taken, even if midnight
    /// has passed since) when the call then failed.
    /// </summary>
    public async Task RefundAsync(DateOnly day, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var (orgId, _, _, _) = await TodayAsync(db, ct);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await db.QuotaUsages.Where(q => q.OrganisationId == orgId && q.Day == day && q.Used > 0)
                    .ExecuteUpdateAsync(s => s.SetProperty(q => q.Used, q => q.Used - 1), ct);
                return;
            }
            catch (Exception) when (attempt < 4)
            {
                // Busy database (the reason the call failed): try again shortly.
                await Task.Delay(TimeSpan.FromMilliseconds(200 * (attempt + 1)), ct);
            }
        }
    }

    private static async Task<QuotaState> StateAsync(PortalDbContext db, (long OrgId, int Limit, DateOnly Day, DateTimeOffset ResetsAt) today, CancellationToken ct)
    {
        var (orgId, limit, day, resets) = today;
        var used = await db.QuotaUsages.Where(q => q.OrganisationId == orgId && q.Day == day).Select(q => q.Used).FirstOrDefaultAsync(ct);
        return new QuotaState(limit, used, day, resets);
    }

    private async Task<(long OrgId, int Limit, DateOnly Day, DateTimeOffset ResetsAt)> TodayAsync(PortalDbContext db, CancellationToken ct)
    {
        var user = await tenantDb.UserAsync();
        var org = await db.Organisations.AsNoTracking().Where(o => o.Id == user.OrganisationId)
            .Select(o => new { o.Id, o.TimeZoneId, o.Policy.DailyBatchQuota }).SingleAsync(ct);
        var tz = TimeZoneInfo.FindSystemTimeZoneById(org.TimeZoneId);
        var now = clock.GetUtcNow();
        var local = TimeZoneInfo.ConvertTime(now, tz);
        var day = DateOnly.FromDateTime(local.DateTime);
        var nextMidnight = day.AddDays(1).ToDateTime(TimeOnly.MinValue);
        var resets = new DateTimeOffset(nextMidnight, tz.GetUtcOffset(nextMidnight));
        return (org.Id, org.DailyBatchQuota, day, resets);
    }
}
