using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using ClassExit.Portal.Data;
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
/// Each finished run writes a deletion receipt to the audit log: counts, time range and a digest of the ids, never content.
/// </summary>
public sealed class RetentionPurgeJob(IDbContextFactory<PortalDbContext> factory, TimeProvider clock, IOptions<RetentionOptions> options,
    ILogger<RetentionPurgeJob> logger)
{
    public const string JobId = "retention-purge";

    /// <summary>The recurring entry point: every organisation.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        foreach (var org in await db.Organisations.Select(o => o.Id).ToListAsync(ct))
            await RunForOrganisationAsync(org, "schedule", ct);
    }

    public async Task<RetentionRun> RunForOrganisationAsync(long organisationId, string trigger, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        long runId;
        await using (var db = (await factory.CreateDbContextAsync(ct)).ForTenant(organisationId))
        {
            // A run that was killed is marked so; its counts stand, this run continues where it stopped.
            foreach (var stale in await db.RetentionRuns.Where(r => r.State == RetentionRunState.Running).ToListAsync(ct)) stale.Interrupt(now);
            var due = await Due(db, now).CountAsync(ct);
            var run = new RetentionRun(organisationId, now, now, trigger, due);
            db.RetentionRuns.Add(run);
            await db.SaveChangesAsync(ct);
            runId = run.Id;
        }

        var batchSize = options.Value.BatchSize;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var sw = Stopwatch.StartNew();
            await using var db = (await factory.CreateDbContextAsync(ct)).ForTenant(organisationId);
            var batch = await Due(db, now).OrderBy(m => m.Id).Take(batchSize)
                .Select(m => new { m.Id, PurgeAfter = m.PurgeAfter!.Value }).ToListAsync(ct);
            if (batch.Count == 0) break;
            var ids = batch.Select(b => b.Id).ToList();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var run = await db.RetentionRuns.SingleAsync(r => r.Id == runId, ct);
            var receipts = await db.MessageReceipts.Where(r => ids.Contains(r.MessageId)).ExecuteDeleteAsync(ct);
            var messages = await db.ChatMessages.Where(m => ids.Contains(m.Id)).ExecuteDeleteAsync(ct);
            var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(run.IdsDigest + ":" + string.Join(",", ids))));
            run.RecordBatch(messages, receipts, sw.ElapsedMilliseconds, batch.Min(b => b.PurgeAfter), batch.Max(b => b.PurgeAfter), digest);
            await db.SaveChangesAsync(ct);
            // Cancellation is honoured between batches only: a batch is all or nothing.
            await tx.CommitAsync(CancellationToken.None);
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
            await db.SaveChangesAsync(ct);
            logger.LogInformation("Retention run {Run} for organisation {Org}: {Messages} messages purged, {Skipped} held", run.Id, organisationId,
                run.MessagesPurged, skipped);
            return run;
        }
    }

    /// <summary>Messages due at <paramref name="now"/> and not under an active hold (on their class or their sender).</summary>
    public static IQueryable<ChatMessage> Due(PortalDbContext db, DateTimeOffset now) =>
        db.ChatMessages.Where(m => m.PurgeAfter != null && m.PurgeAfter <= now && !m.RetainedPermanently
            && !db.LegalHolds.Any(h => h.ReleasedAt == null && (h.EndsAt == null || h.EndsAt > now)
                && (h.ClassId == m.ClassId || h.MemberId == m.SenderMemberId)));

    public static IQueryable<ChatMessage> ExpiredButHeld(PortalDbContext db, DateTimeOffset now) =>
        db.ChatMessages.Where(m => m.PurgeAfter != null && m.PurgeAfter <= now && !m.RetainedPermanently
            && db.LegalHolds.Any(h => h.ReleasedAt == null && (h.EndsAt == null || h.EndsAt > now)
                && (h.ClassId == m.ClassId || h.MemberId == m.SenderMemberId)));
}
