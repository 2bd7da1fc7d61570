using ClassExit.Portal.Infrastructure.Jobs;
using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Bulk;
using Hangfire;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.BulkExits;

/// <summary>
/// Runs background batches (over <see cref="BatchExitService.MaxSynchronousPairs"/> pairs) from their stored request. Durable without
/// durable job storage: at every start <see cref="ResumeAllAsync"/> picks up every background batch not completed, and a run skips
/// the pairs whose item is already written (each pair is all-or-nothing with its item).
/// </summary>
public sealed class BatchExitJob(BatchExitService batches, IDbContextFactory<PortalDbContext> factory, ILogger<BatchExitJob> logger)
{
    [AutomaticRetry(Attempts = 3)]
    [DisableConcurrentExecution(JobLocks.BatchRun, JobLocks.WaitSeconds)]
    public Task RunAsync(long batchId, CancellationToken ct) => batches.RunQueuedAsync(batchId, ct);

    /// <summary>Resumes every queued or interrupted background batch; returns how many it ran.</summary>
    [DisableConcurrentExecution(JobLocks.BatchResume, JobLocks.WaitSeconds)]
    public async Task<int> ResumeAllAsync(CancellationToken ct)
    {
        List<long> unfinished;
        await using (var db = (await factory.CreateDbContextAsync(ct)).ForSystem())
            unfinished = await db.BatchExits.Where(b => b.RequestJson != null && b.Status != BatchStatus.Completed)
                .OrderBy(b => b.Id).Select(b => b.Id).ToListAsync(ct);
        foreach (var id in unfinished)
        {
            logger.LogInformation("Resuming background batch {BatchId}", id);
            await batches.RunQueuedAsync(id, ct);
        }
        return unfinished.Count;
    }
}

/// <summary>
/// Deletes idempotency records past their expiry (a stored response after 24 hours, the claim of a run that never finished after its
/// lease), daily. Expired records no longer hold their key anyway (<see cref="BatchExitService"/> replaces them); this keeps the table small.
/// </summary>
public sealed class IdempotencyCleanupJob(IDbContextFactory<PortalDbContext> factory, TimeProvider clock, ILogger<IdempotencyCleanupJob> logger)
{
    public const string JobId = "idempotency-cleanup";
    public const string Cron = "43 3 * * *";
    private const int BatchSize = 2_000;

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var deleted = 0;
        while (true)
        {
            // Small batches: no statement holds the write lock long.
            var ids = await db.IdempotencyRecords.Where(r => r.ExpiresAt <= now).OrderBy(r => r.Id).Select(r => r.Id).Take(BatchSize).ToListAsync(ct);
            if (ids.Count == 0) break;
            deleted += await db.IdempotencyRecords.Where(r => EF.Parameter(ids).Contains(r.Id) && r.ExpiresAt <= now).ExecuteDeleteAsync(ct);
            if (ids.Count < BatchSize) break;
        }
        if (deleted > 0) logger.LogInformation("Deleted {Count} expired idempotency records", deleted);
        return deleted;
    }
}
