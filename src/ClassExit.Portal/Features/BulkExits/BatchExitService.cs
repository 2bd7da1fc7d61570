using ClassExit.Portal.Domain.Limits;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Bulk;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Observability;
using ClassExit.Portal.Infrastructure.Authorization;
using Hangfire;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.BulkExits;

/// <summary>The bulk-exit request (api.md <c>POST /api/v1/exits/batch</c>).</summary>
public sealed record BatchRequest(long? OperatorId, IReadOnlyList<long>? ClassIds, IReadOnlyList<long>? MemberIds, string? ReasonCode,
    bool? SilentMode, bool? DryRun);

public sealed record BatchItemResult(long ClassId, long MemberId, string Status, int? Code);

public sealed record BatchQuota(int Limit, int Remaining);

public sealed record BatchResponse(long? BatchId, IReadOnlyList<BatchItemResult> Results, BatchQuota Quota);

/// <summary>A batch over <see cref="BatchExitService.MaxSynchronousPairs"/> pairs, accepted to run in the background (202).</summary>
public sealed record BatchAccepted(long BatchId, string Status);

/// <summary>What the endpoint answers: a response (fresh or replayed) or a refusal with its code.</summary>
public sealed record BatchOutcome(int HttpStatus, BatchResponse? Response, string? StoredJson, int? Code, string? Detail, QuotaState Quota,
    int? RetryAfterSeconds = null, BatchAccepted? Accepted = null)
{
    public bool IsReplay => StoredJson is not null;
}

/// <summary>
/// HR bulk exits: every listed member leaves every listed class where they are an active member, each pair on its own
/// (all-or-nothing per item) with the same rules, effects and audit entries as a single HR exit, as a force-removal by the HR
/// operator. The operator is the key's owner: a key speaks for one HR member, and the batch is recorded in their name (README,
/// "Scopes"). Pairs are evaluated set-based (<see cref="ExitService.RemoveManyAsync"/>) and written in chunks of
/// <see cref="ChunkSize"/> pairs per transaction; batches over <see cref="MaxSynchronousPairs"/> pairs run in the background
/// (<see cref="BatchExitJob"/>). An Idempotency-Key is claimed before anything runs (<see cref="IdempotencyRecord"/>).
/// </summary>
public sealed class BatchExitService(TenantDb tenantDb, ExitService exits, QuotaService quota, PortalAuthorizer authorizer, TimeProvider clock,
    ILogger<BatchExitService> logger, IDbContextFactory<Data.PortalDbContext> contexts, IBackgroundJobClient jobs,
    Notifications.PortalEvents events)
{
    public const int MaxClasses = TextLimits.BatchClasses;
    public const int MaxMembers = TextLimits.BatchMembers;
    public const int MaxIdempotencyKeyLength = TextLimits.IdempotencyKey;
    /// <summary>Larger batches (classes × members) are answered 202 and run in the background.</summary>
    public const int MaxSynchronousPairs = 10_000;
    /// <summary>
    /// Pairs per write transaction: short write locks on SQLite, and on SQL Server well under the 5,000 locks at which it escalates to a
    /// table lock (a pair writes about ten rows).
    /// </summary>
    public const int ChunkSize = 200;
    /// <summary>Pairs per evaluation round of a dry run (nothing is written).</summary>
    public const int DryChunkSize = 2_000;
    /// <summary>A claimed key whose run never completed (the process stopped) is free again after this.</summary>
    public static readonly TimeSpan ClaimLease = TimeSpan.FromMinutes(10);
    /// <summary>How long a duplicate of a call still in progress waits for its stored response before answering 40902.</summary>
    public static readonly TimeSpan DuplicateWait = TimeSpan.FromSeconds(2);
    public const int InProgressRetryAfterSeconds = 2;

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public async Task<BatchOutcome> RunAsync(BatchRequest? request, string? idempotencyKey, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        // Asked before anything else is read: a caller without the organisation or the scope learns nothing, not even the quota.
        if (await authorizer.DemandAsync(db, user, PortalAction.RunBatch, new AccessTarget(), "BatchExit", null, ct) is { } refused)
            return new BatchOutcome(ErrorCatalogue.Get(refused).HttpStatus, null, null, refused, null, new QuotaState(0, 0, default, clock.GetUtcNow()));
        var quotaNow = await quota.GetAsync(ct);
        BatchOutcome Refuse(int code, string? detail = null) =>
            new(ErrorCatalogue.Get(code).HttpStatus, null, null, code, detail, quotaNow);

        var malformed = Validate(request, idempotencyKey);
        if (malformed is not null) return Refuse(ErrorCatalogue.MalformedRequest, malformed);
        var body = request!;
        var bodyHash = Hash(body);
        var dryRun = body.DryRun == true;

        var now = clock.GetUtcNow();
        long? claimId = null;
        if (idempotencyKey is not null)
        {
            // A dry run changes nothing and stores nothing: it only meets a stored response (and, with another body, 40901).
            var (claimed, answer) = dryRun
                ? (null, await StoredAnswerAsync(db, idempotencyKey, bodyHash, now, quotaNow, ct))
                : await ClaimAsync(db, user.OrganisationId, idempotencyKey, bodyHash, quotaNow, ct);
            if (answer is not null) return answer;
            claimId = claimed;
        }

        var completed = false;
        try
        {
            var outcome = await RunClaimedAsync(db, user, body, idempotencyKey, dryRun, quotaNow, now, ct);
            if (claimId is { } id && outcome.HttpStatus is 200 or 202)
            {
                // The stored response: a replay from now on gets it back (202 is the acceptance of a background batch).
                var json = outcome.Accepted is { } accepted ? JsonSerializer.Serialize(accepted, Json) : JsonSerializer.Serialize(outcome.Response, Json);
                var expires = clock.GetUtcNow().Add(IdempotencyRecord.Retention);
                await db.IdempotencyRecords.Where(r => r.Id == id)
                    .ExecuteUpdateAsync(u => u.SetProperty(r => r.StatusCode, outcome.HttpStatus).SetProperty(r => r.ResponseJson, json)
                        .SetProperty(r => r.ExpiresAt, expires), CancellationToken.None);
                completed = true;
            }
            return outcome;
        }
        finally
        {
            // A refusal or a failure stores nothing: the key is free for the corrected (or retried) call.
            if (claimId is { } id && !completed)
                await db.IdempotencyRecords.Where(r => r.Id == id && r.StatusCode == 0).ExecuteDeleteAsync(CancellationToken.None);
        }
    }

    private async Task<BatchOutcome> RunClaimedAsync(Data.PortalDbContext db, PortalPrincipal user, BatchRequest body, string? idempotencyKey,
        bool dryRun, QuotaState quotaNow, DateTimeOffset now, CancellationToken ct)
    {
        if (!ReasonCode.IsWellFormed(body.ReasonCode) || !await db.ReasonCodes.AnyAsync(r => r.Code == body.ReasonCode && r.Active, ct))
            return await AuditedRefusalAsync(db, user, now, ErrorCatalogue.InvalidReasonCode, body, quotaNow, ct);
        if (!await db.Members.AnyAsync(m => m.Id == body.OperatorId && m.HasHrPermission, ct))
            return await AuditedRefusalAsync(db, user, now, ErrorCatalogue.NoHrPermission, body, quotaNow, ct);
        // An HR member's key does not speak for another HR member: the batch is theirs, in their name.
        if (body.OperatorId != user.MemberId)
            return await AuditedRefusalAsync(db, user, now, ErrorCatalogue.OperatorNotKeyOwner, body, quotaNow, ct);

        var quotaAfter = quotaNow;
        if (!dryRun)
        {
            var consumed = await quota.TryConsumeAsync(ct);
            if (consumed is null)
            {
                var exhausted = await AuditedRefusalAsync(db, user, now, ErrorCatalogue.QuotaExhausted, body, quotaNow, ct);
                return exhausted with { RetryAfterSeconds = quotaNow.RetryAfterSeconds(now) };
            }
            quotaAfter = consumed;
            try
            {
                return await RunConsumedAsync(db, user, body, idempotencyKey, dryRun, quotaAfter, now, ct);
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                // The call failed after it took its quota (e.g. the database was busy): give the call back, so that a retry with the
                // same Idempotency-Key (freed by the caller) is not counted twice and the day's quota is never under-counted.
                await quota.RefundAsync(quotaAfter.Day, CancellationToken.None);
                throw;
            }
        }
        return await RunConsumedAsync(db, user, body, idempotencyKey, dryRun, quotaAfter, now, ct);
    }

    private async Task<BatchOutcome> RunConsumedAsync(Data.PortalDbContext db, PortalPrincipal user, BatchRequest body, string? idempotencyKey,
        bool dryRun, QuotaState quotaAfter, DateTimeOffset now, CancellationToken ct)
    {
        var work = new BatchWork(user.OrganisationId, AuditActor.From(user), body.OperatorId!.Value, user.ApiKeyId, body.ClassIds!.Distinct().ToList(),
            body.MemberIds!.Distinct().ToList(), body.ReasonCode!, body.SilentMode == true, dryRun, idempotencyKey);
        if ((long)work.ClassIds.Count * work.MemberIds.Count > MaxSynchronousPairs)
        {
            var queued = BatchExit.Queue(work.OrganisationId, work.OperatorId, work.ApiKeyId, work.ReasonCode, work.Silent, dryRun, work.ClassIds.Count,
                work.MemberIds.Count, now, idempotencyKey, JsonSerializer.Serialize(StoredRequest.Of(work), Json));
            db.BatchExits.Add(queued);
            await db.SaveChangesAsync(ct);
            AuditLog.Add(db, user.OrganisationId, work.Actor, now, "batch.queued", AuditOutcome.Succeeded, "BatchExit", queued.Id.ToString(),
                details: new { operator_id = work.OperatorId, reason_code = work.ReasonCode, silent = work.Silent, dry_run = dryRun,
                    classes = work.ClassIds.Count, members = work.MemberIds.Count, idempotency_key = idempotencyKey });
            await db.SaveChangesAsync(ct);
            jobs.Enqueue<BatchExitJob>(j => j.RunAsync(queued.Id, CancellationToken.None));
            return new BatchOutcome(202, null, null, null, null, quotaAfter, Accepted: new BatchAccepted(queued.Id, "queued"));
        }

        BatchExit? batch = null;
        if (!dryRun)
        {
            batch = new BatchExit(work.OrganisationId, work.OperatorId, work.ApiKeyId, work.ReasonCode, work.Silent, false,
                work.ClassIds.Count, work.MemberIds.Count, now, idempotencyKey);
            db.BatchExits.Add(batch);
            await db.SaveChangesAsync(ct);
        }
        var results = await ExecuteAsync(work, batch?.Id, collect: true, tenantDb.CreateAsync, ct);
        return new BatchOutcome(200, new BatchResponse(batch?.Id, results!, new BatchQuota(quotaAfter.Limit, quotaAfter.Remaining)), null, null, null, quotaAfter);
    }

    /// <summary>
    /// Claims <paramref name="key"/> for this call by inserting its record first (the unique index on organisation and key lets one
    /// insert win); an expired record is replaced. A duplicate of a call still in progress waits up to <see cref="DuplicateWait"/>
    /// for its response, then answers 40902 with Retry-After. Returns the claim's id, or the answer for a duplicate.
    /// </summary>
    private async Task<(long? ClaimId, BatchOutcome? Answer)> ClaimAsync(Data.PortalDbContext db, long organisationId, string key, string bodyHash,
        QuotaState quotaNow, CancellationToken ct)
    {
        var waitUntil = DateTime.UtcNow + DuplicateWait;
        for (var attempt = 0; ; attempt++)
        {
            var now = clock.GetUtcNow();
            var stored = await db.IdempotencyRecords.AsNoTracking().Where(r => r.Key == key).SingleOrDefaultAsync(ct);
            if (stored is null)
            {
                var claim = IdempotencyRecord.Claim(organisationId, key, bodyHash, now, ClaimLease);
                db.IdempotencyRecords.Add(claim);
                try
                {
                    await db.SaveChangesAsync(ct);
                    return (claim.Id, null);
                }
                catch (DbUpdateException) when (attempt < 20)
                {
                    // A concurrent first call inserted it first: read theirs.
                    db.ChangeTracker.Clear();
                    continue;
                }
            }
            if (stored.ExpiresAt <= now)
            {
                // An expired response, or the claim of a run that never finished, no longer holds the key.
                await db.IdempotencyRecords.Where(r => r.Id == stored.Id && r.ExpiresAt <= now).ExecuteDeleteAsync(ct);
                continue;
            }
            if (stored.BodyHash != bodyHash)
                return (null, new BatchOutcome(ErrorCatalogue.Get(ErrorCatalogue.IdempotencyConflict).HttpStatus, null, null, ErrorCatalogue.IdempotencyConflict, null, quotaNow));
            if (!stored.InProgress) return (null, new BatchOutcome(stored.StatusCode, null, stored.ResponseJson, null, null, quotaNow));
            if (DateTime.UtcNow >= waitUntil)
                return (null, new BatchOutcome(ErrorCatalogue.Get(ErrorCatalogue.IdempotencyInProgress).HttpStatus, null, null,
                    ErrorCatalogue.IdempotencyInProgress, null, quotaNow, InProgressRetryAfterSeconds));
            // Real time, not the portal's clock: this is a short wait for another request, not a business deadline.
            await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
        }
    }

    private static async Task<BatchOutcome?> StoredAnswerAsync(Data.PortalDbContext db, string key, string bodyHash, DateTimeOffset now, QuotaState quotaNow,
        CancellationToken ct)
    {
        var stored = await db.IdempotencyRecords.AsNoTracking().Where(r => r.Key == key && r.ExpiresAt > now).SingleOrDefaultAsync(ct);
        if (stored is null) return null;
        if (stored.BodyHash != bodyHash)
            return new BatchOutcome(ErrorCatalogue.Get(ErrorCatalogue.IdempotencyConflict).HttpStatus, null, null, ErrorCatalogue.IdempotencyConflict, null, quotaNow);
        return stored.InProgress ? null : new BatchOutcome(stored.StatusCode, null, stored.ResponseJson, null, null, quotaNow);
    }

    /// <summary>What a batch does, independent of who is signed in (the background job has only the stored request).</summary>
    internal sealed record BatchWork(long OrganisationId, AuditActor Actor, long OperatorId, long? ApiKeyId, IReadOnlyList<long> ClassIds,
        IReadOnlyList<long> MemberIds, string ReasonCode, bool Silent, bool DryRun, string? IdempotencyKey);

    /// <summary>A background batch's stored request (<see cref="BatchExit.RequestJson"/>).</summary>
    internal sealed record StoredRequest(IReadOnlyList<long> ClassIds, IReadOnlyList<long> MemberIds, string? ActorUserId, long? ActorMemberId,
        string ActorName, string CorrelationId)
    {
        public static StoredRequest Of(BatchWork w) => new(w.ClassIds, w.MemberIds, w.Actor.UserId, w.Actor.MemberId, w.Actor.Name, w.Actor.CorrelationId);

        public BatchWork Work(BatchExit b) => new(b.OrganisationId, new AuditActor(ActorUserId, ActorMemberId, ActorName, CorrelationId), b.OperatorMemberId,
            b.ApiKeyId, ClassIds, MemberIds, b.ReasonCode, b.Silent, b.DryRun, b.IdempotencyKey);
    }

    /// <summary>
    /// Runs (or resumes) a queued background batch from its stored request: pairs that already have their item are skipped. Called
    /// by <see cref="BatchExitJob"/>; the batch's own organisation and actor, no signed-in user.
    /// </summary>
    internal async Task RunQueuedAsync(long batchId, CancellationToken ct)
    {
        BatchExit? batch;
        await using (var system = (await contexts.CreateDbContextAsync(ct)).ForSystem())
            batch = await system.BatchExits.AsNoTracking().SingleOrDefaultAsync(b => b.Id == batchId, ct);
        if (batch is null || !batch.RunsInBackground || batch.Status is BatchStatus.Completed) return;
        var work = JsonSerializer.Deserialize<StoredRequest>(batch.RequestJson!, Json)!.Work(batch);
        await ExecuteAsync(work, batch.Id, collect: false, async c => (await contexts.CreateDbContextAsync(c)).ForTenant(batch.OrganisationId), ct);
    }

    /// <summary>
    /// Evaluates (and unless a dry run, carries out) every pair in chunks, each chunk in its own transaction with its items and the
    /// batch's progress; a chunk that fails is retried pair by pair, and a pair that fails alone is refused (50000) while the others
    /// stand. Returns the results in request order when <paramref name="collect"/> is set.
    /// </summary>
    private async Task<List<BatchItemResult>?> ExecuteAsync(BatchWork work, long? batchId, bool collect, Func<CancellationToken, Task<Data.PortalDbContext>> newContext,
        CancellationToken ct)
    {
        var started = clock.GetUtcNow();
        HashSet<long> knownClasses, knownMembers;
        HashSet<(long, long)> current, done;
        await using (var db = await newContext(ct))
        {
            var classIds = work.ClassIds.ToList();
            var memberIds = work.MemberIds.ToList();
            knownClasses = (await db.Classes.Where(c => EF.Parameter(classIds).Contains(c.Id)).Select(c => c.Id).ToListAsync(ct)).ToHashSet();
            knownMembers = (await db.Members.Where(m => EF.Parameter(memberIds).Contains(m.Id)).Select(m => m.Id).ToListAsync(ct)).ToHashSet();
            current = (await db.Memberships.Where(Membership.Current)
                    .Where(m => EF.Parameter(classIds).Contains(m.ClassId) && EF.Parameter(memberIds).Contains(m.MemberId))
                    .Select(m => new { m.ClassId, m.MemberId }).ToListAsync(ct))
                .Select(m => (m.ClassId, m.MemberId)).ToHashSet();
            done = batchId is { } id
                ? (await db.BatchExitItems.Where(i => i.BatchExitId == id).Select(i => new { i.ClassId, i.MemberId }).ToListAsync(ct))
                    .Select(i => (i.ClassId, i.MemberId)).ToHashSet()
                : [];
            if (batchId is not null)
            {
                var batch = await db.BatchExits.SingleAsync(b => b.Id == batchId, ct);
                batch.Start();
                await db.SaveChangesAsync(ct);
            }
        }

        var pairs = work.ClassIds.SelectMany(c => work.MemberIds.Select(m => (ClassId: c, MemberId: m))).Where(p => !done.Contains(p)).ToList();
        var results = collect ? new List<BatchItemResult>(pairs.Count) : null;
        var size = work.DryRun ? DryChunkSize : ChunkSize;
        for (var offset = 0; offset < pairs.Count; offset += size)
        {
            var chunk = pairs.GetRange(offset, Math.Min(size, pairs.Count - offset));
            IReadOnlyList<BatchItemResult> chunkResults;
            try
            {
                chunkResults = await ChunkAsync(work, batchId, !collect, chunk, knownClasses, knownMembers, current, newContext, ct);
            }
            catch (Exception ex) when (chunk.Count > 1 && ex is not OperationCanceledException)
            {
                // One pair's failure must not take the others with it: each pair again on its own (a fresh snapshot, its own transaction).
                logger.LogWarning(ex, "Batch {BatchId}: a chunk of {Count} pairs failed; retrying pair by pair", batchId, chunk.Count);
                var single = new List<BatchItemResult>(chunk.Count);
                foreach (var pair in chunk)
                {
                    try
                    {
                        single.AddRange(await ChunkAsync(work, batchId, !collect, [pair], knownClasses, knownMembers, current, newContext, ct));
                    }
                    catch (Exception one) when (one is not OperationCanceledException)
                    {
                        logger.LogError(one, "Batch {BatchId}: class {ClassId}, member {MemberId} failed", batchId, pair.ClassId, pair.MemberId);
                        single.Add(await FailedPairAsync(work, batchId, pair, newContext, ct));
                    }
                }
                chunkResults = single;
            }
            results?.AddRange(chunkResults);
        }

        if (batchId is not null)
        {
            await using var db = await newContext(ct);
            var batch = await db.BatchExits.SingleAsync(b => b.Id == batchId, ct);
            batch.Finish(clock.GetUtcNow());
            AuditLog.Add(db, work.OrganisationId, work.Actor, clock.GetUtcNow(), work.DryRun ? "batch.evaluated" : "batch.executed", AuditOutcome.Succeeded, "BatchExit",
                batch.Id.ToString(), details: new
                {
                    operator_id = work.OperatorId, reason_code = work.ReasonCode, silent = work.Silent, classes = work.ClassIds.Count,
                    members = work.MemberIds.Count, batch.Completed, batch.Skipped, batch.Refused, idempotency_key = work.IdempotencyKey,
                });
            // Its HR operator (for a key's batch: the key's owner and the admins) learns that it finished, with its counts.
            if (!work.DryRun)
                await events.RaiseAsync(db, new Notifications.PortalEvent(work.OrganisationId, Domain.Notifications.EventKinds.BatchFinished,
                    clock.GetUtcNow(), "BatchExit", batch.Id.ToString(), Data: new Dictionary<string, object?>
                    {
                        ["completed"] = batch.Completed, ["skipped"] = batch.Skipped, ["refused"] = batch.Refused, ["items"] = batch.ItemCount,
                    }), ct);
            await db.SaveChangesAsync(ct);
            logger.LogInformation("Batch {BatchId}: {Items} items in {Ms} ms", batch.Id, batch.ItemCount, (clock.GetUtcNow() - started).TotalMilliseconds);
        }
        return results;
    }

    /// <summary>One chunk: its snapshot, decisions and (unless a dry run) changes, items and progress in one transaction.</summary>
    private async Task<IReadOnlyList<BatchItemResult>> ChunkAsync(BatchWork work, long? batchId, bool resumable, IReadOnlyList<(long ClassId, long MemberId)> chunk,
        HashSet<long> knownClasses, HashSet<long> knownMembers, HashSet<(long, long)> current, Func<CancellationToken, Task<Data.PortalDbContext>> newContext,
        CancellationToken ct)
    {
        await using var db = await newContext(ct);
        var writes = batchId is not null;
        await using var tx = writes ? await db.Database.BeginTransactionAsync(ct) : null;
        var pending = chunk;
        if (resumable && batchId is { } id)
        {
            // Inside the transaction: a second run of the same batch (a resume racing a retry) skips what the first has written.
            var classIds = chunk.Select(p => p.ClassId).Distinct().ToList();
            var memberIds = chunk.Select(p => p.MemberId).Distinct().ToList();
            var written = (await db.BatchExitItems
                    .Where(i => i.BatchExitId == id && EF.Parameter(classIds).Contains(i.ClassId) && EF.Parameter(memberIds).Contains(i.MemberId))
                    .Select(i => new { i.ClassId, i.MemberId }).ToListAsync(ct))
                .Select(i => (i.ClassId, i.MemberId)).ToHashSet();
            if (written.Count > 0) pending = chunk.Where(p => !written.Contains(p)).ToList();
        }

        // Other organisations' ids look exactly like ids that do not exist.
        var toRemove = pending.Where(p => knownClasses.Contains(p.ClassId) && knownMembers.Contains(p.MemberId) && current.Contains(p)).ToList();
        var template = new ExitCommand(0, 0, ExitKind.HrBatch, ExitChannel.Api, VerificationMethod.ApiKey, ReasonCode: work.ReasonCode,
            Silent: work.Silent, OperatorMemberId: work.OperatorId);
        IReadOnlyDictionary<(long, long), ExitService.PairOutcome> outcomes = toRemove.Count == 0 ? new Dictionary<(long, long), ExitService.PairOutcome>()
            : await exits.RemoveManyAsync(db, work.Actor, toRemove, template, work.DryRun, ct);

        var results = new List<BatchItemResult>(pending.Count);
        var batch = writes ? await db.BatchExits.SingleAsync(b => b.Id == batchId, ct) : null;
        foreach (var pair in pending)
        {
            var (status, code, exitId) = ItemOf(pair, knownClasses, knownMembers, current, outcomes);
            results.Add(new BatchItemResult(pair.ClassId, pair.MemberId, Name(status), code));
            if (batch is null) continue;
            batch.Count(status);
            db.BatchExitItems.Add(new BatchExitItem(work.OrganisationId, batch.Id, pair.ClassId, pair.MemberId, status, code, exitId));
        }
        if (writes)
        {
            await db.SaveChangesAsync(ct);
            await tx!.CommitAsync(ct);
            if (!work.DryRun)
                foreach (var outcome in outcomes.Values)
                    if (outcome.Decision is { } decision)
                        PortalMetrics.Exit(ExitKind.HrBatch, ExitChannel.Api, decision, decision.IsRefused ? null : ExitRequestStatus.Completed);
        }
        return results;
    }

    private static (BatchItemStatus Status, int? Code, long? ExitRequestId) ItemOf((long ClassId, long MemberId) pair, HashSet<long> knownClasses,
        HashSet<long> knownMembers, HashSet<(long, long)> current, IReadOnlyDictionary<(long, long), ExitService.PairOutcome> outcomes)
    {
        if (!knownClasses.Contains(pair.ClassId) || !knownMembers.Contains(pair.MemberId)) return (BatchItemStatus.Refused, ErrorCatalogue.NotFound, null);
        if (!current.Contains(pair)) return (BatchItemStatus.Skipped, ErrorCatalogue.NotActiveMember, null);
        var outcome = outcomes[pair];
        // No snapshot any more (the membership went between the first read and this chunk): not an active member.
        if (outcome.Decision is not { } decision) return (BatchItemStatus.Skipped, ErrorCatalogue.NotActiveMember, null);
        return decision.IsRefused
            ? (BatchItemStatus.Refused, decision.PrimaryCode, null)
            : (BatchItemStatus.Completed, null, outcome.ExitRequestId);
    }

    /// <summary>A pair that failed on its own: refused with 50000, recorded so that a resume does not try it again.</summary>
    private async Task<BatchItemResult> FailedPairAsync(BatchWork work, long? batchId, (long ClassId, long MemberId) pair,
        Func<CancellationToken, Task<Data.PortalDbContext>> newContext, CancellationToken ct)
    {
        if (batchId is { } id)
        {
            await using var db = await newContext(ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var batch = await db.BatchExits.SingleAsync(b => b.Id == id, ct);
            batch.Count(BatchItemStatus.Refused);
            db.BatchExitItems.Add(new BatchExitItem(work.OrganisationId, id, pair.ClassId, pair.MemberId, BatchItemStatus.Refused, ErrorCatalogue.InternalError, null));
            AuditLog.Add(db, work.OrganisationId, work.Actor, clock.GetUtcNow(), "exit.failed", AuditOutcome.Failed, "BatchExit", id.ToString(),
                pair.ClassId, pair.MemberId, ErrorCatalogue.InternalError, details: new { kind = nameof(ExitKind.HrBatch) });
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        return new BatchItemResult(pair.ClassId, pair.MemberId, Name(BatchItemStatus.Refused), ErrorCatalogue.InternalError);
    }

    private static async Task<BatchOutcome> AuditedRefusalAsync(Data.PortalDbContext db, PortalPrincipal user, DateTimeOffset now, int code,
        BatchRequest body, QuotaState quotaState, CancellationToken ct)
    {
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), now, "batch.refused", AuditOutcome.Refused, "BatchExit", null, code: code,
            details: new { operator_id = body.OperatorId, key_owner = user.MemberId, reason_code = body.ReasonCode, classes = body.ClassIds?.Count, members = body.MemberIds?.Count });
        await db.SaveChangesAsync(ct);
        return new BatchOutcome(ErrorCatalogue.Get(code).HttpStatus, null, null, code, null, quotaState);
    }

    private static string? Validate(BatchRequest? r, string? idempotencyKey)
    {
        if (r is null) return "a JSON body is required";
        var problems = new List<string>();
        if (r.OperatorId is null or <= 0) problems.Add("operator_id is required");
        if (r.ClassIds is null || r.ClassIds.Count is < 1 or > MaxClasses) problems.Add($"class_ids must list 1 to {MaxClasses} ids");
        if (r.MemberIds is null || r.MemberIds.Count is < 1 or > MaxMembers) problems.Add($"member_ids must list 1 to {MaxMembers} ids");
        if (r.ReasonCode is null) problems.Add("reason_code is required");
        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > MaxIdempotencyKeyLength))
            problems.Add($"Idempotency-Key must be 1 to {MaxIdempotencyKeyLength} characters");
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    /// <summary>The body's canonical form: the same request written with other spacing or key order is the same body.</summary>
    private static string Hash(BatchRequest r)
    {
        var canonical = JsonSerializer.Serialize(new
        {
            r.OperatorId, r.ClassIds, r.MemberIds, r.ReasonCode, SilentMode = r.SilentMode == true, DryRun = r.DryRun == true,
        }, Json);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    internal static string Name(BatchItemStatus status) => status switch
    {
        BatchItemStatus.Completed => "completed",
        BatchItemStatus.Skipped => "skipped",
        _ => "refused",
    };
}
