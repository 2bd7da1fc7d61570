using ClassExit.Portal.Domain.Bulk;
using ClassExit.Portal.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.BulkExits;

public sealed record BatchRow(long Id, string OperatorName, string ReasonCode, bool Silent, int ClassCount, int MemberCount, int ItemCount,
    int Processed, int Completed, int Skipped, int Refused, BatchStatus Status, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt)
{
    public double Progress => ItemCount == 0 ? 100 : 100.0 * Processed / ItemCount;
}

public sealed record BatchItemRow(long ClassId, string ClassName, long MemberId, string MemberName, BatchItemStatus Status, int? Code, long? ExitRequestId);

/// <summary><c>GET /api/v1/exits/batch/{batch_id}</c>: a batch's state, progress and one page of its results (the 200 answer's item shape).</summary>
public sealed record BatchStatusResponse(long BatchId, BatchStatus Status, bool DryRun, int Total, int Processed, int Completed, int Skipped, int Refused,
    DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, IReadOnlyList<BatchItemResult> Results, int Page, int PageSize);

/// <summary>Bulk exits history for the portal.</summary>
public sealed class BatchQueries(TenantDb tenantDb)
{
    public async Task<PagedResult<BatchRow>> ListAsync(PageRequest page, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var query = db.BatchExits.AsNoTracking();
        var total = await query.CountAsync(ct);
        var rows = await query.OrderByDescending(b => b.Id).Skip(page.Skip).Take(page.PageSize)
            .Select(b => new BatchRow(b.Id, db.Members.Where(m => m.Id == b.OperatorMemberId).Select(m => m.DisplayName).FirstOrDefault() ?? "",
                b.ReasonCode, b.Silent, b.ClassCount, b.MemberCount, b.ItemCount, b.Processed, b.Completed, b.Skipped, b.Refused, b.Status,
                b.StartedAt, b.FinishedAt))
            .ToListAsync(ct);
        return new PagedResult<BatchRow>(rows, total);
    }

    public async Task<BatchRow?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        return await db.BatchExits.AsNoTracking().Where(b => b.Id == id)
            .Select(b => new BatchRow(b.Id, db.Members.Where(m => m.Id == b.OperatorMemberId).Select(m => m.DisplayName).FirstOrDefault() ?? "",
                b.ReasonCode, b.Silent, b.ClassCount, b.MemberCount, b.ItemCount, b.Processed, b.Completed, b.Skipped, b.Refused, b.Status,
                b.StartedAt, b.FinishedAt))
            .SingleOrDefaultAsync(ct);
    }

    /// <summary>The API's view of one batch of the caller's organisation (null for another organisation's or an unknown id).</summary>
    public async Task<BatchStatusResponse?> StatusAsync(long id, int page, int pageSize, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var batch = await db.BatchExits.AsNoTracking().SingleOrDefaultAsync(b => b.Id == id, ct);
        if (batch is null) return null;
        var items = await db.BatchExitItems.AsNoTracking().Where(i => i.BatchExitId == id).OrderBy(i => i.Id).Skip((page - 1) * pageSize).Take(pageSize)
            .Select(i => new { i.ClassId, i.MemberId, i.Status, i.Code }).ToListAsync(ct);
        return new BatchStatusResponse(batch.Id, batch.Status, batch.DryRun, batch.ItemCount, batch.Processed, batch.Completed, batch.Skipped, batch.Refused,
            batch.StartedAt, batch.FinishedAt, items.Select(i => new BatchItemResult(i.ClassId, i.MemberId, BatchExitService.Name(i.Status), i.Code)).ToList(),
            page, pageSize);
    }

    public async Task<PagedResult<BatchItemRow>> ItemsAsync(long batchId, BatchItemStatus? status, PageRequest page, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var query = db.BatchExitItems.AsNoTracking().Where(i => i.BatchExitId == batchId);
        if (status is { } s) query = query.Where(i => i.Status == s);
        var total = await query.CountAsync(ct);
        var rows = await query.OrderBy(i => i.Id).Skip(page.Skip).Take(page.PageSize)
            .Select(i => new BatchItemRow(i.ClassId, db.Classes.Where(c => c.Id == i.ClassId).Select(c => c.Name).FirstOrDefault() ?? "—",
                i.MemberId, db.Members.Where(m => m.Id == i.MemberId).Select(m => m.DisplayName).FirstOrDefault() ?? "—", i.Status, i.Code, i.ExitRequestId))
            .ToListAsync(ct);
        return new PagedResult<BatchItemRow>(rows, total);
    }
}
