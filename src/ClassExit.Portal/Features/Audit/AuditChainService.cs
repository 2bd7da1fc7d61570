using ClassExit.Portal.Infrastructure.Jobs;
using Hangfire;
using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Audit;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Audit;

/// <summary>
/// Verifies the per-organisation audit chains (ADR 0010). Entries are sealed by the transaction that writes them
/// (<c>PortalDbContext.SaveChanges</c>): each carries its sequence, its predecessor's MAC and an HMAC-SHA256 under a key the
/// database does not hold, so an unsealed row, a row whose MAC does not match or a MAC of an unknown key is a forgery or an edit.
/// Truncation and rewinding are found against the newest checkpoint kept outside the database (<see cref="AuditCheckpoints"/>).
/// </summary>
public sealed class AuditChainService(IDbContextFactory<PortalDbContext> factory, IAuditKeyRing keys, AuditCheckpoints checkpoints, TimeProvider clock,
    ILogger<AuditChainService> logger)
{
    public const string VerifyJobId = "audit-chain-verify";

    /// <summary>
    /// Walks one chain (organisation 0: entries without one) in sequence order on the <c>(OrganisationId, Sequence)</c> index and
    /// reports the first broken link. The anchor is <paramref name="anchor"/> when given (a kept download), else the newest
    /// checkpoint in the checkpoint file.
    /// </summary>
    public async Task<ChainVerification> VerifyAsync(long organisationId, AuditCheckpoint? anchor = null, CancellationToken ct = default)
    {
        anchor ??= (await checkpoints.LatestAsync(organisationId, ct))?.Checkpoint;
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var head = await db.AuditChainHeads.AsNoTracking().SingleOrDefaultAsync(h => h.OrganisationId == organisationId, ct);
        var chain = organisationId == 0
            ? db.AuditEntries.AsNoTracking().Where(a => a.OrganisationId == null)
            : db.AuditEntries.AsNoTracking().Where(a => a.OrganisationId == organisationId);
        ChainVerification Broken(long count, ChainBreak kind, long? id, long? sequence, string detail) => new(organisationId, count, kind, id, sequence, detail, anchor);

        // Every entry is sealed by the transaction that writes it: one without a sequence was written around the portal.
        var unsealed = await chain.Where(a => a.Sequence == null).OrderBy(a => a.Id).Select(a => (long?)a.Id).FirstOrDefaultAsync(ct);
        if (unsealed is not null) return Broken(0, ChainBreak.Unsealed, unsealed, null, "an entry without a seal: it was not written by the portal");

        using var mac = new AuditMacCalculator();
        var walk = new ChainWalk(organisationId, anchor, keys, mac);
        await foreach (var e in chain.Where(a => a.Sequence != null).OrderBy(a => a.Sequence).AsAsyncEnumerable().WithCancellation(ct))
            if (!walk.Feed(e)) break;
        return walk.Finish(head);
    }

    /// <summary>Verifies and records the result in the chain's own audit log; a broken chain is a security event.</summary>
    public async Task<ChainVerification> VerifyAndRecordAsync(long organisationId, AuditActor actor, AuditCheckpoint? anchor = null, CancellationToken ct = default)
    {
        var result = await VerifyAsync(organisationId, anchor, ct);
        await RecordAsync(result, actor, ct);
        return result;
    }

    private async Task RecordAsync(ChainVerification result, AuditActor actor, CancellationToken ct)
    {
        var organisationId = result.OrganisationId;
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        AuditLog.Add(db, organisationId == 0 ? null : organisationId, actor, clock.GetUtcNow(), result.Intact ? "audit.chain_verified" : "audit.chain_broken",
            result.Intact ? AuditOutcome.Succeeded : AuditOutcome.Failed, "AuditEntry", result.EntryId?.ToString(), securityEvent: !result.Intact,
            details: new
            {
                checked_entries = result.EntriesChecked, broken = result.Break?.ToString(), sequence = result.Sequence, result.Detail,
                checkpoint = result.Checkpoint is { } c ? new { c.Sequence, c.At } : null,
            });
        await db.SaveChangesAsync(ct);
        if (!result.Intact) logger.LogWarning("Audit chain of organisation {Org} is broken at entry {Entry}: {Break} ({Detail})", organisationId, result.EntryId, result.Break, result.Detail);
    }

    /// <summary>
    /// The recurring verification of every chain: each organisation, organisation 0, and any chain that only a head or a checkpoint
    /// still knows (a wiped organisation). One pass over the whole log in id order (the table's own order: no index lookups, each page
    /// read once) feeds every chain's walk at once; entries are sealed in id order, so a chain read in id order is read in sequence
    /// order, and any difference is itself a break. A chain found broken is walked again on its own, in sequence order, so that the
    /// recorded result names the break exactly as the verify button does.
    /// </summary>
    [DisableConcurrentExecution(JobLocks.AuditVerification, JobLocks.WaitSeconds)]
    public async Task<IReadOnlyList<ChainVerification>> RunVerificationAsync(CancellationToken ct)
    {
        var chains = new SortedSet<long> { 0 };
        Dictionary<long, AuditChainHead> heads;
        var walks = new Dictionary<long, ChainWalk>();
        using var mac = new AuditMacCalculator();
        await using (var db = (await factory.CreateDbContextAsync(ct)).ForSystem())
        {
            chains.UnionWith(await db.Organisations.Select(o => o.Id).ToListAsync(ct));
            heads = await db.AuditChainHeads.AsNoTracking().ToDictionaryAsync(h => h.OrganisationId, ct);
            chains.UnionWith(heads.Keys);
            chains.UnionWith(await checkpoints.ChainsAsync(ct));
            async Task<ChainWalk> WalkOfAsync(long org)
            {
                if (walks.TryGetValue(org, out var w)) return w;
                return walks[org] = new ChainWalk(org, (await checkpoints.LatestAsync(org, ct))?.Checkpoint, keys, mac);
            }
            foreach (var org in chains) await WalkOfAsync(org);
            await foreach (var e in db.AuditEntries.AsNoTracking().OrderBy(a => a.Id).AsAsyncEnumerable().WithCancellation(ct))
                (await WalkOfAsync(e.OrganisationId ?? 0)).Feed(e);
        }
        var results = new List<ChainVerification>();
        foreach (var (org, walk) in walks.OrderBy(w => w.Key))
        {
            var result = walk.Finish(heads.GetValueOrDefault(org));
            if (!result.Intact) result = await VerifyAsync(org, ct: ct);
            await RecordAsync(result, AuditActor.System("audit verification job"), ct);
            results.Add(result);
        }
        return results;
    }

    /// <summary>
    /// One chain's walk: fed its entries in sequence order, it stops at the first broken link; <see cref="Finish"/> then compares the
    /// end of the chain with its head and its newest checkpoint.
    /// </summary>
    private sealed class ChainWalk(long organisationId, AuditCheckpoint? anchor, IAuditKeyRing keys, AuditMacCalculator mac)
    {
        private long _expected = 1, _count;
        private string? _previous;
        private long? _lastId;
        private bool _keyed;
        private ChainVerification? _broken;

        private ChainVerification Broken(ChainBreak kind, long? id, long? sequence, string detail) => new(organisationId, _count, kind, id, sequence, detail, anchor);

        /// <summary>False once the chain is broken (nothing more to learn from it).</summary>
        public bool Feed(AuditEntry e)
        {
            if (_broken is not null) return false;
            _broken = Check(e);
            return _broken is null;
        }

        private ChainVerification? Check(AuditEntry e)
        {
            _count++;
            // Every entry is sealed by the transaction that writes it: one without a sequence was written around the portal.
            if (e.Sequence is not { } sequence) return Broken(ChainBreak.Unsealed, e.Id, null, "an entry without a seal: it was not written by the portal");
            if (sequence < _expected)
                return Broken(ChainBreak.Inserted, e.Id, sequence, $"sequence {sequence} appears twice");
            if (sequence > _expected)
                return Broken(ChainBreak.Deleted, e.Id, sequence, $"entries {_expected}…{sequence - 1} are missing");
            if (e.Hash is null)
                return Broken(ChainBreak.Unsealed, e.Id, sequence, "an entry without a MAC");
            if (e.PreviousHash != _previous)
                return Broken(ChainBreak.Reordered, e.Id, sequence, "the link to the previous entry does not match");
            if (e.KeyId is null)
            {
                // Entries sealed before audit keys existed (plain SHA-256) may only open a chain.
                if (_keyed)
                    return Broken(ChainBreak.Forged, e.Id, sequence, "an unkeyed (SHA-256) entry after keyed ones: it cannot have been written by the portal");
                if (keys.LegacyUntil is { } until && e.OccurredAt >= until)
                    return Broken(ChainBreak.Forged, e.Id, sequence, $"an unkeyed (SHA-256) entry dated after keyed sealing began ({until:u})");
                if (AuditHash.Compute(e, sequence, e.PreviousHash) != e.Hash)
                    return Broken(ChainBreak.Edited, e.Id, sequence, "the entry's fields do not match its (legacy SHA-256) hash");
            }
            else
            {
                _keyed = true;
                if (keys.Find(e.KeyId) is not { } key)
                    return Broken(ChainBreak.Forged, e.Id, sequence, $"sealed with key '{e.KeyId}', which this portal does not hold");
                if (!mac.Matches(key, e, sequence, e.PreviousHash, e.Hash))
                    return Broken(ChainBreak.Edited, e.Id, sequence, "the entry's fields do not match its MAC (edited, or forged without the key)");
            }
            if (anchor is not null && sequence == anchor.Sequence && e.Hash != anchor.HeadMac)
                return Broken(ChainBreak.Truncated, e.Id, sequence,
                    $"the entry at the checkpoint of {anchor.At:u} (sequence {anchor.Sequence}) is not the one checkpointed: the chain was rewritten");
            _previous = e.Hash;
            _lastId = e.Id;
            _expected++;
            return null;
        }

        public ChainVerification Finish(AuditChainHead? head)
        {
            if (_broken is not null) return _broken;
            var last = _expected - 1;
            if (anchor is not null && last < anchor.Sequence)
                return Broken(ChainBreak.Truncated, _lastId, last,
                    $"the chain ends at sequence {last}, but the checkpoint of {anchor.At:u} recorded sequence {anchor.Sequence}: entries were cut and the head rewound");
            if (head is not null && head.LastSequence > last)
                return Broken(ChainBreak.Deleted, head.LastEntryId, head.LastSequence, $"the head is at sequence {head.LastSequence}, the chain ends at {last}: the newest entries were removed");
            if (head is not null && head.LastSequence < last)
                return Broken(ChainBreak.Inserted, _lastId, last, $"entries beyond the head (sequence {head.LastSequence}) were appended around the portal");
            if (head is not null && head.LastHash != _previous)
                return Broken(ChainBreak.Edited, head.LastEntryId, head.LastSequence, "the head's MAC is not the last entry's");
            if (head is null && _count > 0)
                return Broken(ChainBreak.Deleted, _lastId, last, "the chain's head was removed");
            return new ChainVerification(organisationId, _count, null, null, null, null, anchor);
        }
    }
}
