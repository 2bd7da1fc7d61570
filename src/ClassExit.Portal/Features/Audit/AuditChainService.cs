using ClassExit.Portal.Infrastructure.Jobs;
using Hangfire;
using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Features.Audit;

/// <summary>
/// Verifies the per-organisation audit chains (ADR 0010). Entries are sealed by the transaction that writes them
/// (<c>PortalDbContext.SaveChanges</c>): each carries its sequence, its predecessor's MAC and an HMAC-SHA256 under a key the
/// database does not hold, so an unsealed row, a row whose MAC does not match or a MAC of an unknown key is a forgery or an edit.
/// Truncation and rewinding are found against the newest checkpoint kept outside the database (<see cref="AuditCheckpoints"/>).
/// </summary>
public sealed class AuditChainService(IDbContextFactory<PortalDbContext> factory, IAuditKeyRing keys, AuditCheckpoints checkpoints, TimeProvider clock,
    IOptions<AuditOptions> options, ILogger<AuditChainService> logger)
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

    private async Task RecordAsync(ChainVerification result, AuditActor actor, CancellationToken ct, object? scope = null)
    {
        var organisationId = result.OrganisationId;
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        AuditLog.Add(db, organisationId == 0 ? null : organisationId, actor, clock.GetUtcNow(), result.Intact ? "audit.chain_verified" : "audit.chain_broken",
            result.Intact ? AuditOutcome.Succeeded : AuditOutcome.Failed, "AuditEntry", result.EntryId?.ToString(), securityEvent: !result.Intact,
            details: new
            {
                checked_entries = result.EntriesChecked, broken = result.Break?.ToString(), sequence = result.Sequence, result.Detail,
                checkpoint = result.Checkpoint is { } c ? new { c.Sequence, c.At } : null,
                scope,
            });
        await db.SaveChangesAsync(ct);
        if (!result.Intact) logger.LogWarning("Audit chain of organisation {Org} is broken at entry {Entry}: {Break} ({Detail})", organisationId, result.EntryId, result.Break, result.Detail);
    }

    /// <summary>
    /// The recurring verification (hourly, <c>Audit:VerifyCron</c>), incremental (ADR 0010): for each chain it walks what was appended
    /// since the position the previous run verified (stored per chain in <c>AuditChainVerifications</c>: sequence and MAC), starting
    /// at that entry itself so that a cut, rewound or replaced position is found; checks the newest signed checkpoint's entry; and
    /// re-verifies a slice of the older entries (<c>Audit:SweepRuns</c> slices make a cycle: with the hourly cron, the whole chain is
    /// walked again every day). The first run (no stored positions) is the full pass (<see cref="RunFullVerificationAsync"/>); a
    /// chain without a stored position (a new organisation) is walked in full on its own. A break is walked again in full, so the record names it exactly as Verify now does.
    /// </summary>
    [DisableConcurrentExecution(JobLocks.AuditVerification, JobLocks.WaitSeconds)]
    public async Task<IReadOnlyList<ChainVerification>> RunVerificationAsync(CancellationToken ct)
    {
        var (chains, heads, states) = await ChainsAsync(ct);
        if (states.Count == 0) return await RunFullVerificationAsync(ct);
        var results = new List<ChainVerification>();
        using var mac = new AuditMacCalculator();
        foreach (var org in chains)
        {
            if (!states.TryGetValue(org, out var state))
            {
                // A chain the job has not verified yet (a new organisation): walked in full on its own, and its position stored.
                var first = await VerifyAsync(org, ct: ct);
                if (first.Intact) await SaveStateAsync(org, st => st.FullyVerified(clock.GetUtcNow()), first, ct);
                await RecordAsync(first, AuditActor.System("audit verification job"), ct, new { mode = "full" });
                results.Add(first);
                continue;
            }
            var (result, scope) = await VerifyIncrementallyAsync(org, state, mac, ct);
            if (!result.Intact)
            {
                // Named exactly by a full walk. When the full walk finds nothing, the break is one only the stored position shows (the
                // verified entry is gone or replaced: the chain was cut or rewritten behind it, or the position itself was edited):
                // still a break. It stays reported until someone investigates and deletes the chain's AuditChainVerifications row.
                var full = await VerifyAsync(org, ct: ct);
                scope = new { mode = "full", incremental_found = result.Detail };
                if (!full.Intact) result = full;
            }
            await RecordAsync(result, AuditActor.System("audit verification job"), ct, scope);
            results.Add(result);
        }
        return results;
    }

    /// <summary>
    /// The full verification of every chain (the first run, and on demand): each organisation, organisation 0, and any chain that
    /// only a head or a checkpoint still knows (a wiped organisation). One pass over the whole log in id order (the table's own order:
    /// no index lookups, each page read once) feeds every chain's walk at once; entries are sealed in id order, so a chain read in id
    /// order is read in sequence order, and any difference is itself a break. A chain found broken is walked again on its own, in
    /// sequence order, so that the recorded result names the break exactly as the verify button does. Every intact chain's position
    /// is stored for the incremental runs.
    /// </summary>
    public async Task<IReadOnlyList<ChainVerification>> RunFullVerificationAsync(CancellationToken ct)
    {
        var (chains, heads, _) = await ChainsAsync(ct);
        var walks = new Dictionary<long, ChainWalk>();
        using var mac = new AuditMacCalculator();
        await using (var db = (await factory.CreateDbContextAsync(ct)).ForSystem())
        {
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
            else
                await SaveStateAsync(org, st =>
                {
                    st.Verified(walk.LastSequence, walk.LastId, walk.LastHash, clock.GetUtcNow());
                    st.FullyVerified(clock.GetUtcNow());
                }, null, ct);
            await RecordAsync(result, AuditActor.System("audit verification job"), ct, new { mode = "full" });
            results.Add(result);
        }
        return results;
    }

    private async Task<(SortedSet<long> Chains, Dictionary<long, AuditChainHead> Heads, Dictionary<long, AuditChainVerification> States)> ChainsAsync(CancellationToken ct)
    {
        var chains = new SortedSet<long> { 0 };
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        chains.UnionWith(await db.Organisations.Select(o => o.Id).ToListAsync(ct));
        var heads = await db.AuditChainHeads.AsNoTracking().ToDictionaryAsync(h => h.OrganisationId, ct);
        chains.UnionWith(heads.Keys);
        chains.UnionWith(await checkpoints.ChainsAsync(ct));
        var states = await db.AuditChainVerifications.AsNoTracking().ToDictionaryAsync(v => v.OrganisationId, ct);
        return (chains, heads, states);
    }

    private async Task SaveStateAsync(long organisationId, Action<AuditChainVerification> change, ChainVerification? fullWalk, CancellationToken ct)
    {
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var state = await db.AuditChainVerifications.SingleOrDefaultAsync(v => v.OrganisationId == organisationId, ct);
        if (state is null) db.AuditChainVerifications.Add(state = new AuditChainVerification(organisationId));
        if (fullWalk is not null)
        {
            // After a full walk on its own: the position is the chain's end as that walk saw it.
            var last = await Chain(db, organisationId).Where(a => a.Sequence != null).OrderByDescending(a => a.Sequence)
                .Select(a => new { a.Id, a.Sequence, a.Hash }).FirstOrDefaultAsync(ct);
            if (last is not null && last.Sequence <= fullWalk.EntriesChecked) state.Verified(last.Sequence!.Value, last.Id, last.Hash, clock.GetUtcNow());
        }
        change(state);
        await db.SaveChangesAsync(ct);
    }

    private static IQueryable<AuditEntry> Chain(PortalDbContext db, long organisationId) => organisationId == 0
        ? db.AuditEntries.AsNoTracking().Where(a => a.OrganisationId == null)
        : db.AuditEntries.AsNoTracking().Where(a => a.OrganisationId == organisationId);

    /// <summary>
    /// One chain's incremental run. What it proves: the entries after the stored position are sealed, linked and MACed; the stored
    /// position's entry is still there with the MAC it had when verified (so the chain was not cut, rewound or rewritten at or
    /// before it since); the newest checkpoint's entry is there with the checkpointed MAC; the head agrees with the chain's end; no
    /// unsealed row exists; and this run's slice of older entries is intact. What it does not prove: that older entries outside the
    /// slice are still intact (the sweep reaches them within its cycle; Verify now and the full pass walk everything at once).
    /// </summary>
    private async Task<(ChainVerification Result, object Scope)> VerifyIncrementallyAsync(long organisationId, AuditChainVerification state, AuditMacCalculator mac,
        CancellationToken ct)
    {
        var anchor = (await checkpoints.LatestAsync(organisationId, ct))?.Checkpoint;
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var chain = Chain(db, organisationId);
        var verified = state.VerifiedSequence;
        object Scope(long from, long to, long sweepFrom, long sweepTo, bool cycleDone) =>
            new { mode = "incremental", from, to, sweep_from = sweepFrom, sweep_to = sweepTo, sweep_cycle_complete = cycleDone };
        ChainVerification Broken(long count, ChainBreak kind, long? id, long? sequence, string detail) => new(organisationId, count, kind, id, sequence, detail, anchor);

        var unsealed = await chain.Where(a => a.Sequence == null).OrderBy(a => a.Id).Select(a => (long?)a.Id).FirstOrDefaultAsync(ct);
        if (unsealed is not null) return (Broken(0, ChainBreak.Unsealed, unsealed, null, "an entry without a seal: it was not written by the portal"), Scope(verified, verified, 0, 0, false));

        // 1. From the stored position (its entry included: still there, same MAC) to the end. The head is read after the walk (a
        //    writer commits entry and head together), and entries committed meanwhile are walked too.
        var walk = new ChainWalk(organisationId, anchor, keys, mac);
        var from = Math.Max(verified, 1);
        AuditChainHead? head = null;
        for (var round = 0; round < 3; round++)
        {
            await FeedAsync(walk, chain, round == 0 ? from : walk.LastSequence + 1, null, ct);
            if (walk.IsBroken) break;
            head = await db.AuditChainHeads.AsNoTracking().SingleOrDefaultAsync(h => h.OrganisationId == organisationId, ct);
            if (head is null || head.LastSequence <= walk.LastSequence) break;
        }
        if (!walk.IsBroken && verified > 0)
        {
            if (walk.FirstSequence != verified)
                return (Broken(walk.Count, ChainBreak.Truncated, null, verified,
                    $"the entry at sequence {verified}, verified on {state.VerifiedAt:u}, is gone: the chain was cut and rewound"), Scope(from, walk.LastSequence, 0, 0, false));
            if (walk.FirstHash != state.VerifiedHash)
                return (Broken(walk.Count, ChainBreak.Truncated, walk.FirstId, verified,
                    $"the entry at sequence {verified} is not the one verified on {state.VerifiedAt:u}: the chain was rewritten"), Scope(from, walk.LastSequence, 0, 0, false));
        }
        var result = walk.Finish(head);
        if (!result.Intact) return (result, Scope(from, walk.LastSequence, 0, 0, false));
        var count = walk.Count;

        // 2. The newest checkpoint, when older than the stored position: its entry is there, sealed with the MAC it recorded.
        if (anchor is { Sequence: > 0 } && anchor.Sequence < from)
        {
            var at = new ChainWalk(organisationId, anchor, keys, mac);
            await FeedAsync(at, chain, anchor.Sequence, anchor.Sequence, ct);
            count += at.Count;
            if (at.Failure is { } b) return (b, Scope(from, walk.LastSequence, 0, 0, false));
            if (at.Count == 0)
                return (Broken(count, ChainBreak.Truncated, null, anchor.Sequence,
                    $"the entry at the checkpoint of {anchor.At:u} (sequence {anchor.Sequence}) is gone"), Scope(from, walk.LastSequence, 0, 0, false));
        }

        // 3. The sweep: the next slice of older entries, from the entry before it (link and MAC), up to the stored position at most.
        long sweepFrom = 0, sweepTo = 0;
        var cycleDone = false;
        if (verified > 1)
        {
            var slice = Math.Max(1, (verified + options.Value.SweepRuns - 1) / Math.Max(1, options.Value.SweepRuns));
            var start = state.SweepSequence + 1 >= verified ? 1 : state.SweepSequence + 1;
            sweepFrom = Math.Max(1, start - 1);
            sweepTo = Math.Min(start + slice - 1, verified);
            var sweep = new ChainWalk(organisationId, anchor, keys, mac);
            await FeedAsync(sweep, chain, sweepFrom, sweepTo, ct);
            count += sweep.Count;
            if (sweep.Failure is { } b) return (b, Scope(from, walk.LastSequence, sweepFrom, sweepTo, false));
            if (sweep.LastSequence != sweepTo || sweep.FirstSequence != sweepFrom)
                return (Broken(count, ChainBreak.Deleted, sweep.LastId, sweep.LastSequence + 1,
                    $"entries {sweep.LastSequence + 1}…{sweepTo} are missing"), Scope(from, walk.LastSequence, sweepFrom, sweepTo, false));
            cycleDone = sweepTo >= verified;
        }

        var end = (Sequence: walk.LastSequence, Id: walk.LastId, Hash: walk.LastHash);
        await SaveStateAsync(organisationId, st =>
        {
            st.Verified(end.Sequence, end.Id, end.Hash, clock.GetUtcNow());
            if (sweepTo > 0) st.Swept(sweepTo, cycleDone, clock.GetUtcNow());
        }, null, ct);
        return (result with { EntriesChecked = count }, Scope(from, walk.LastSequence, sweepFrom, sweepTo, cycleDone));
    }

    /// <summary>Feeds entries <paramref name="from"/> … <paramref name="to"/> in sequence order, trusting only the first one's link.</summary>
    private static async Task FeedAsync(ChainWalk walk, IQueryable<AuditEntry> chain, long from, long? to, CancellationToken ct)
    {
        var range = chain.Where(a => a.Sequence >= from);
        if (to is { } last) range = range.Where(a => a.Sequence <= last);
        var first = walk.Count == 0;
        await foreach (var e in range.OrderBy(a => a.Sequence).AsAsyncEnumerable().WithCancellation(ct))
        {
            if (first && from > 1) walk.Resume(from, e.PreviousHash);
            first = false;
            if (!walk.Feed(e)) break;
        }
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

        public long Count => _count;
        public bool IsBroken => _broken is not null;
        public ChainVerification? Failure => _broken;
        public long LastSequence => _expected - 1;
        public long? LastId => _lastId;
        public string? LastHash => _previous;
        public long? FirstSequence { get; private set; }
        public long? FirstId { get; private set; }
        public string? FirstHash { get; private set; }

        /// <summary>
        /// Starts the walk at <paramref name="sequence"/> instead of 1, taking the first entry's link to its predecessor as given: the
        /// walk that covered the predecessor checked that link.
        /// </summary>
        public void Resume(long sequence, string? previous)
        {
            _expected = sequence;
            _previous = previous;
        }

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
            if (FirstSequence is null) (FirstSequence, FirstId, FirstHash) = (sequence, e.Id, e.Hash);
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
