using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Retention;
using ClassExit.Portal.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.JobRuns;

/// <summary>One retention purge run of the organisation.</summary>
public sealed record PurgeRunRow(long Id, string Trigger, RetentionRunState State, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, int DueAtStart,
    int MessagesPurged, int ReceiptsPurged, int SkippedForHolds, int Batches);

/// <summary>One audit entry that the portal's own jobs wrote in the organisation (escalations, expired transfers, purges, chain checks…).</summary>
public sealed record SystemJobEntryRow(long Id, DateTimeOffset OccurredAt, string Job, string Action, AuditOutcome Outcome, string? TargetType,
    string? TargetId, int? Code);

/// <summary>
/// What the jobs did in the signed-in user's organisation, for its enterprise admins. Hangfire's dashboard shows every tenant's
/// jobs and is for platform operators only; this reads through the tenant context, so it never sees another organisation's runs.
/// </summary>
public sealed class JobRunsService(TenantDb tenantDb)
{
    /// <summary>Retention purge runs, newest first.</summary>
    public async Task<PagedResult<PurgeRunRow>> PurgeRunsAsync(PageRequest page, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var query = db.RetentionRuns.AsNoTracking();
        var total = await query.CountAsync(ct);
        var items = await query.OrderByDescending(r => r.Id).Skip(page.Skip).Take(page.PageSize)
            .Select(r => new PurgeRunRow(r.Id, r.Trigger, r.State, r.StartedAt, r.FinishedAt, r.DueAtStart, r.MessagesPurged, r.ReceiptsPurged,
                r.SkippedForHolds, r.Batches))
            .ToListAsync(ct);
        return new PagedResult<PurgeRunRow>(items, total);
    }

    /// <summary>
    /// Audit entries written by the portal itself (<c>AuditActor.System</c>: neither a user nor a member acted), newest first.
    /// </summary>
    public async Task<PagedResult<SystemJobEntryRow>> SystemEntriesAsync(PageRequest page, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var query = db.AuditEntries.AsNoTracking().Where(a => a.ActorUserId == null && a.ActorMemberId == null);
        var total = await query.CountAsync(ct);
        var items = await query.OrderByDescending(a => a.Id).Skip(page.Skip).Take(page.PageSize)
            .Select(a => new SystemJobEntryRow(a.Id, a.OccurredAt, a.ActorName ?? "system", a.Action, a.Outcome, a.TargetType, a.TargetId, a.Code))
            .ToListAsync(ct);
        return new PagedResult<SystemJobEntryRow>(items, total);
    }
}
