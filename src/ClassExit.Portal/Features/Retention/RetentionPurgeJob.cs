using ClassExit.Portal.Infrastructure.Jobs;
using Hangfire;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using ClassExit.Portal.Data;
using ClassExit.Portal.Infrastructure.Observability;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Retention;
using ClassExit.Portal.Features.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Features.Retention;

/// <summary>
/// Deletes chat messages whose retention ended, set-based in bounded batches, each batch in its own short transaction together with
/// the run's counters, so a run killed midway leaves exact counts and the next run finishes the job. Held data is never deleted.
/// Batches are read (keyset on the purge date) before the write lock is taken, sized by time (<see cref="PurgeBatchSizer"/>) and deleted with
/// the ids in one JSON parameter, so no batch holds SQLite's single write lock long.
/// Each finished run writes a deletion receipt to the audit log: counts, time range and a digest of the ids, never content.
/// </summary>
public sealed class RetentionPurgeJob(IDbContextFactory<PortalDbContext> factory, TimeProvider clock, IOptions<RetentionOptions> options,
    ILogger<RetentionPurgeJob> logger, Notifications.PortalEvents events)
{
    public const string JobId = "retention-purge";

    /// <summary>The recurring entry point: every organisation.</summary>
    [DisableConcurrentExecution(JobLocks.RetentionPurge, JobLocks.WaitSeconds)]
    public async Task RunAsync(CancellationToken ct)
    {
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        foreach (var org in await db.Organisations.Select(o => o.Id).ToListAsync(ct))
            await RunForOrganisationAsync(org, "schedule", ct);
    }

    [DisableConcurrentExecution(JobLocks.RetentionPurge, JobLocks.WaitSeconds)]
    public async Task<RetentionRun> RunForOrganisationAsync(long organisationId, string trigger, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        long runId;
        await using (var db = (await factory.CreateDbContextAsync(ct)).ForTenant(organisationId))
        {
            // A run that was killed is marked so; its counts stand, this run continues where it stopped.
            foreach (var stale in await db.RetentionRuns.Where(r => r.State == RetentionRunState.Running).ToListAsync(ct)) stale.Interrupt(now);
            var due = await DueIn(db, organisationId, now).CountAsync(ct);
            var run = new RetentionRun(organisationId, now, now, trigger, due);
            db.RetentionRuns.Add(run);
            await db.SaveChangesAsync(ct);
            runId = run.Id;
        }

        var sizer = new PurgeBatchSizer(options.Value.BatchSize, TimeSpan.FromMilliseconds(options.Value.TargetBatchMilliseconds));
        // Keyset over the purge date: every row dated before the cursor was deleted or is held (the cutoff is fixed for the run), so
        // a batch only re-reads the held rows dated exactly at the cursor, never the whole due set.
        DateTimeOffset? from = null;
        await WarmUpAsync(runId, now, ct);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            // The batch is read before the write lock is taken; the write re-checks that every row is still due and not held.
            var batch = await ReadBatchAsync(organisationId, now, from, sizer.Next, ct);
            if (batch.Count == 0) break;
            var written = await DeleteBatchAsync(runId, now, batch, ct);
            if (written is not { } held) continue; // a hold or another run changed the batch meanwhile: read it again
            sizer.Observe(batch.Count, held.Receipts, held.Elapsed);
            from = batch[^1].PurgeAfter;
        }

        await using (var db = (await factory.CreateDbContextAsync(ct)).ForTenant(organisationId))
        {
            var run = await db.RetentionRuns.SingleAsync(r => r.Id == runId, ct);
            var skipped = await ExpiredButHeld(db, now).CountAsync(ct);
            run.Finish(clock.GetUtcNow(), skipped);
            AuditLog.Add(db, organisationId, AuditActor.System("retention purge"), clock.GetUtcNow(), "retention.purged", AuditOutcome.Succeeded,
                "RetentionRun", run.Id.ToString(), details: new
                {
                    run.Trigger, cutoff = run.Cutoff, messages = run.MessagesPurged, receipts = run.ReceiptsPurged, skipped_for_holds = skipped,
                    batches = run.Batches, purge_after_from = run.OldestPurgeAfter, purge_after_to = run.NewestPurgeAfter, ids_sha256 = run.IdsDigest,
                });
            // The receipt to the admins: for a run an admin started, and for a scheduled run that purged or held anything.
            if (trigger != "schedule" || run.MessagesPurged + run.ReceiptsPurged + skipped > 0)
                await events.RaiseAsync(db, new Notifications.PortalEvent(organisationId, Domain.Notifications.EventKinds.PurgeFinished, clock.GetUtcNow(),
                    "RetentionRun", run.Id.ToString(), Data: new Dictionary<string, object?>
                    {
                        ["messages"] = run.MessagesPurged, ["receipts"] = run.ReceiptsPurged, ["skipped"] = skipped, ["trigger"] = run.Trigger,
                    }), ct);
            await db.SaveChangesAsync(ct);
            logger.LogInformation("Retention run {Run} for organisation {Org}: {Messages} messages purged, {Skipped} held", run.Id, organisationId,
                run.MessagesPurged, skipped);
            return run;
        }
    }

    private sealed record DueMessage(long Id, DateTimeOffset PurgeAfter);

    /// <summary>The next due messages in purge-date order. The explicit organisation equality lets the <c>(OrganisationId, PurgeAfter)</c>
    /// index serve the range and the order whatever shape the tenant filter takes; the ids are unique across organisations.</summary>
    private async Task<List<DueMessage>> ReadBatchAsync(long organisationId, DateTimeOffset now, DateTimeOffset? from, int size, CancellationToken ct)
    {
        await using var db = (await factory.CreateDbContextAsync(ct)).ForTenant(organisationId);
        var due = DueIn(db, organisationId, now);
        if (from is { } cursor) due = due.Where(m => m.PurgeAfter >= cursor);
        return await due.OrderBy(m => m.PurgeAfter).ThenBy(m => m.Id).Take(size)
            .Select(m => new DueMessage(m.Id, m.PurgeAfter!.Value)).ToListAsync(ct);
    }

    private static IQueryable<ChatMessage> DueIn(PortalDbContext db, long organisationId, DateTimeOffset now) =>
        Due(db, now).Where(m => m.OrganisationId == organisationId);

    /// <summary>
    /// Deletes one batch and records it on the run, all or nothing, in one short write transaction: two DELETEs that each bind the
    /// batch's ids as ONE JSON parameter (<c>json_each</c> on SQLite, <c>OPENJSON</c> on SQL Server; EF Core 10 would otherwise bind one
    /// parameter per id) and the run's counters. Null (rolled back) when not every row of the batch was still due and unheld.
    /// </summary>
    private async Task<(int Receipts, TimeSpan Elapsed)?> DeleteBatchAsync(long runId, DateTimeOffset now, List<DueMessage> batch, CancellationToken ct)
    {
        var ids = batch.Select(b => b.Id).Order().ToArray();
        // System scope on purpose: the ids were read in the organisation's scope and are unique across organisations (so are the class and
        // member ids the hold check matches on). Without an organisation predicate the planner has only the primary key to reach the rows;
        // with one it may prefer walking the (OrganisationId, PurgeAfter) index over every due row.
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var run = await db.RetentionRuns.SingleAsync(r => r.Id == runId, ct);
        var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(run.IdsDigest + ":" + string.Join(",", ids))));
        await db.Database.OpenConnectionAsync(ct);
        var held = Stopwatch.StartNew();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var receipts = await db.MessageReceipts.Where(r => EF.Parameter(ids).Contains(r.MessageId)).ExecuteDeleteAsync(ct);
        var messages = await Due(db, now).Where(m => EF.Parameter(ids).Contains(m.Id)).ExecuteDeleteAsync(ct);
        if (messages != ids.Length)
        {
            await tx.RollbackAsync(CancellationToken.None);
            return null;
        }
        // The run records the lock held up to here (the deletes); the log line below has the whole hold, commit included.
        run.RecordBatch(messages, receipts, (long)Math.Ceiling(held.Elapsed.TotalMilliseconds), batch.Min(b => b.PurgeAfter), batch.Max(b => b.PurgeAfter),
            digest);
        await db.SaveChangesAsync(ct);
        // Cancellation is honoured between batches only: a batch is all or nothing.
        await tx.CommitAsync(CancellationToken.None);
        held.Stop();
        PortalMetrics.PurgeBatch(messages, receipts, held.Elapsed);
        logger.LogDebug(BatchCommittedEvent, "Retention run {Run}: batch of {Messages} messages and {Receipts} receipts held the write lock {HeldMs:0.0} ms",
            runId, messages, receipts, held.Elapsed.TotalMilliseconds);
        return (receipts, held.Elapsed);
    }

    /// <summary>Runs both DELETEs once with no ids and the run's UPDATE once with unchanged values, outside any transaction, so that
    /// translating them (and JIT in a fresh process) is not paid while the first batch holds the write lock.</summary>
    private async Task WarmUpAsync(long runId, DateTimeOffset now, CancellationToken ct)
    {
        long[] none = [];
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        await db.MessageReceipts.Where(r => EF.Parameter(none).Contains(r.MessageId)).ExecuteDeleteAsync(ct);
        await Due(db, now).Where(m => EF.Parameter(none).Contains(m.Id)).ExecuteDeleteAsync(ct);
        var run = await db.RetentionRuns.SingleAsync(r => r.Id == runId, ct);
        foreach (var property in new[] { nameof(RetentionRun.Batches), nameof(RetentionRun.MessagesPurged), nameof(RetentionRun.IdsDigest) })
            db.Entry(run).Property(property).IsModified = true;
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Logged (Debug) after each committed batch with its write-lock hold in <c>HeldMs</c>; the benchmark collects it.</summary>
    public static readonly EventId BatchCommittedEvent = new(4101, "RetentionBatchCommitted");

    /// <summary>Messages due at <paramref name="now"/> and not under an active hold (on their class or their sender).</summary>
    public static IQueryable<ChatMessage> Due(PortalDbContext db, DateTimeOffset now)
    {
        var activeHolds = db.LegalHolds.Where(LegalHold.ActiveAt(now));
        return db.ChatMessages.Where(m => m.PurgeAfter != null && m.PurgeAfter <= now && !m.RetainedPermanently
            && !activeHolds.Any(h => h.ClassId == m.ClassId || h.MemberId == m.SenderMemberId));
    }

    public static IQueryable<ChatMessage> ExpiredButHeld(PortalDbContext db, DateTimeOffset now)
    {
        var activeHolds = db.LegalHolds.Where(LegalHold.ActiveAt(now));
        return db.ChatMessages.Where(m => m.PurgeAfter != null && m.PurgeAfter <= now && !m.RetainedPermanently
            && activeHolds.Any(h => h.ClassId == m.ClassId || h.MemberId == m.SenderMemberId));
    }
}
