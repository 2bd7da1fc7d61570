using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Audit;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Audit;

/// <summary>
/// Seals audit entries into a per-organisation hash chain and verifies it. Entries are written unsealed in the transaction of their
/// change; sealing appends them in id order (one transaction per organisation and batch), so concurrent writers can neither fork
/// the chain nor leave a gap. Sealing is deterministic: two sealers would write the same links, and the head's version token lets
/// only one of them advance it.
/// </summary>
public sealed class AuditChainService(IDbContextFactory<PortalDbContext> factory, TimeProvider clock, ILogger<AuditChainService> logger)
{
    public const string VerifyJobId = "audit-chain-verify";
    private const int SealBatch = 2000;

    /// <summary>Seals every unsealed entry; returns how many were sealed.</summary>
    public async Task<int> SealAsync(CancellationToken ct = default)
    {
        var sealedCount = 0;
        await using var probe = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var orgs = await probe.AuditEntries.Where(a => a.Hash == null).Select(a => a.OrganisationId ?? 0).Distinct().ToListAsync(ct);
        foreach (var org in orgs)
        {
            while (true)
            {
                await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                var head = await db.AuditChainHeads.SingleOrDefaultAsync(h => h.OrganisationId == org, ct);
                if (head is null)
                {
                    head = new AuditChainHead(org);
                    db.AuditChainHeads.Add(head);
                }
                var batch = await db.AuditEntries
                    .Where(a => a.Hash == null && (org == 0 ? a.OrganisationId == null : a.OrganisationId == org))
                    .OrderBy(a => a.Id).Take(SealBatch).ToListAsync(ct);
                if (batch.Count == 0) break;
                var now = clock.GetUtcNow();
                foreach (var entry in batch)
                {
                    var sequence = head.LastSequence + 1;
                    var hash = AuditHash.Compute(entry, sequence, head.LastHash);
                    entry.Chain(sequence, head.LastHash, hash);
                    head.Advance(sequence, entry.Id, hash, now);
                }
                try
                {
                    await db.SaveChangesAsync(ct);
                    await tx.CommitAsync(ct);
                }
                catch (DbUpdateException ex)
                {
                    // Another sealer advanced this head first; its links are the same. Try again on the next round.
                    logger.LogInformation(ex, "Audit chain of organisation {Org} was sealed concurrently", org);
                    break;
                }
                sealedCount += batch.Count;
            }
        }
        return sealedCount;
    }

    /// <summary>Walks one organisation's chain and reports the first broken link.</summary>
    public async Task<ChainVerification> VerifyAsync(long organisationId, CancellationToken ct = default)
    {
        await SealAsync(ct);
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var head = await db.AuditChainHeads.AsNoTracking().SingleOrDefaultAsync(h => h.OrganisationId == organisationId, ct);
        var entries = db.AuditEntries.AsNoTracking().Where(a => organisationId == 0 ? a.OrganisationId == null : a.OrganisationId == organisationId);

        // An unsealed entry older than the sealed head cannot have been appended normally: it was inserted.
        if (head is not null)
        {
            var inserted = await entries.Where(a => a.Hash == null && a.Id < head.LastEntryId).OrderBy(a => a.Id).FirstOrDefaultAsync(ct);
            if (inserted is not null) return new ChainVerification(organisationId, 0, ChainBreak.Inserted, inserted.Id, null, "an unsealed entry sits inside the sealed chain");
        }

        long expected = 1, checkedCount = 0;
        string? previous = null;
        long? previousId = null;
        await foreach (var e in entries.Where(a => a.Sequence != null).OrderBy(a => a.Sequence).ThenBy(a => a.Id).AsAsyncEnumerable().WithCancellation(ct))
        {
            checkedCount++;
            if (e.Sequence < expected)
                return new ChainVerification(organisationId, checkedCount, ChainBreak.Inserted, e.Id, e.Sequence, $"sequence {e.Sequence} appears twice");
            if (e.Sequence > expected)
                return new ChainVerification(organisationId, checkedCount, ChainBreak.Deleted, e.Id, e.Sequence, $"entries {expected}…{e.Sequence - 1} are missing");
            if (e.PreviousHash != previous || (previousId is not null && e.Id < previousId))
                return new ChainVerification(organisationId, checkedCount, ChainBreak.Reordered, e.Id, e.Sequence, "the link to the previous entry does not match");
            if (AuditHash.Compute(e, e.Sequence!.Value, e.PreviousHash) != e.Hash)
                return new ChainVerification(organisationId, checkedCount, ChainBreak.Edited, e.Id, e.Sequence, "the entry's fields do not match its hash");
            previous = e.Hash;
            previousId = e.Id;
            expected++;
        }
        if (head is not null && (head.LastSequence != expected - 1 || head.LastHash != previous))
            return new ChainVerification(organisationId, checkedCount, ChainBreak.Deleted, head.LastEntryId, head.LastSequence, "the newest entries were removed");
        return new ChainVerification(organisationId, checkedCount, null, null, null, null);
    }

    /// <summary>Verifies and records the result in the organisation's audit log; a broken chain is a security event.</summary>
    public async Task<ChainVerification> VerifyAndRecordAsync(long organisationId, AuditActor actor, CancellationToken ct = default)
    {
        var result = await VerifyAsync(organisationId, ct);
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        AuditLog.Add(db, organisationId, actor, clock.GetUtcNow(), result.Intact ? "audit.chain_verified" : "audit.chain_broken",
            result.Intact ? AuditOutcome.Succeeded : AuditOutcome.Failed, "AuditEntry", result.EntryId?.ToString(), securityEvent: !result.Intact,
            details: new { checked_entries = result.EntriesChecked, broken = result.Break?.ToString(), sequence = result.Sequence, result.Detail });
        await db.SaveChangesAsync(ct);
        if (!result.Intact) logger.LogWarning("Audit chain of organisation {Org} is broken at entry {Entry}: {Break}", organisationId, result.EntryId, result.Break);
        return result;
    }

    /// <summary>The recurring verification of every organisation's chain.</summary>
    public async Task RunVerificationAsync(CancellationToken ct)
    {
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        foreach (var org in await db.Organisations.Select(o => o.Id).ToListAsync(ct))
            await VerifyAndRecordAsync(org, AuditActor.System("audit verification job"), ct);
    }
}

/// <summary>Seals new audit entries every few seconds in the background (<c>Audit:SealIntervalSeconds</c>, 0 = off).</summary>
public sealed class AuditSealerHostedService(AuditChainService chain, IConfiguration configuration, ILogger<AuditSealerHostedService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = configuration.GetValue("Audit:SealIntervalSeconds", 2);
        if (seconds <= 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await chain.SealAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Sealing is retried on the next tick; entries stay unsealed (and verifiable as such) meanwhile.
                logger.LogError(ex, "Sealing the audit chain failed");
            }
        }
    }
}
