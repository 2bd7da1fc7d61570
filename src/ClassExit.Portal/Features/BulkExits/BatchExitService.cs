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
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.BulkExits;

/// <summary>The bulk-exit request (api.md <c>POST /api/v1/exits/batch</c>).</summary>
public sealed record BatchRequest(long? OperatorId, IReadOnlyList<long>? ClassIds, IReadOnlyList<long>? MemberIds, string? ReasonCode,
    bool? SilentMode, bool? DryRun);

public sealed record BatchItemResult(long ClassId, long MemberId, string Status, int? Code);

public sealed record BatchQuota(int Limit, int Remaining);

public sealed record BatchResponse(long? BatchId, IReadOnlyList<BatchItemResult> Results, BatchQuota Quota);

/// <summary>What the endpoint answers: a response (fresh or replayed) or a refusal with its code.</summary>
public sealed record BatchOutcome(int HttpStatus, BatchResponse? Response, string? StoredJson, int? Code, string? Detail, QuotaState Quota,
    int? RetryAfterSeconds = null)
{
    public bool IsReplay => StoredJson is not null;
}

/// <summary>
/// HR bulk exits: every listed member leaves every listed class where they are an active member, each pair on its own
/// (all-or-nothing per item) through the same exit service as everything else, as a force-removal by the HR operator.
/// The operator is the key's owner: a key speaks for one HR member, and the batch is recorded in their name (README, "Scopes").
/// </summary>
public sealed class BatchExitService(TenantDb tenantDb, ExitService exits, QuotaService quota, PortalAuthorizer authorizer, TimeProvider clock,
    ILogger<BatchExitService> logger)
{
    public const int MaxClasses = TextLimits.BatchClasses;
    public const int MaxMembers = TextLimits.BatchMembers;
    public const int MaxIdempotencyKeyLength = TextLimits.IdempotencyKey;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
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

        var now = clock.GetUtcNow();
        if (idempotencyKey is not null)
        {
            var stored = await db.IdempotencyRecords.AsNoTracking()
                .Where(r => r.Key == idempotencyKey && r.ExpiresAt > now).SingleOrDefaultAsync(ct);
            if (stored is not null)
                return stored.BodyHash == bodyHash
                    ? new BatchOutcome(stored.StatusCode, null, stored.ResponseJson, null, null, quotaNow)
                    : Refuse(ErrorCatalogue.IdempotencyConflict);
        }

        if (!ReasonCode.IsWellFormed(body.ReasonCode) || !await db.ReasonCodes.AnyAsync(r => r.Code == body.ReasonCode && r.Active, ct))
            return await AuditedRefusalAsync(db, user, now, ErrorCatalogue.InvalidReasonCode, body, quotaNow, ct);
        if (!await db.Members.AnyAsync(m => m.Id == body.OperatorId && m.HasHrPermission, ct))
            return await AuditedRefusalAsync(db, user, now, ErrorCatalogue.NoHrPermission, body, quotaNow, ct);
        // An HR member's key does not speak for another HR member: the batch is theirs, in their name.
        if (body.OperatorId != user.MemberId)
            return await AuditedRefusalAsync(db, user, now, ErrorCatalogue.OperatorNotKeyOwner, body, quotaNow, ct);

        var dryRun = body.DryRun == true;
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
        }

        var response = await ProcessAsync(db, user, body, idempotencyKey, dryRun, quotaAfter, ct);
        var outcome = new BatchOutcome(200, response, null, null, null, quotaAfter);
        if (idempotencyKey is not null && !dryRun)
        {
            db.IdempotencyRecords.Add(new IdempotencyRecord(user.OrganisationId, idempotencyKey, bodyHash, 200, JsonSerializer.Serialize(response, Json), now));
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException ex)
            {
                // Two first calls with the same key raced: the other one's response is stored; this one has already run.
                logger.LogWarning(ex, "Idempotency-Key {Key} was stored by a concurrent call", idempotencyKey);
            }
        }
        return outcome;
    }

    private async Task<BatchResponse> ProcessAsync(Data.PortalDbContext db, PortalPrincipal user, BatchRequest body, string? idempotencyKey, bool dryRun,
        QuotaState quotaState, CancellationToken ct)
    {
        var classIds = body.ClassIds!.Distinct().ToList();
        var memberIds = body.MemberIds!.Distinct().ToList();
        var started = clock.GetUtcNow();
        var knownClasses = (await db.Classes.Where(c => classIds.Contains(c.Id)).Select(c => c.Id).ToListAsync(ct)).ToHashSet();
        var knownMembers = (await db.Members.Where(m => memberIds.Contains(m.Id)).Select(m => m.Id).ToListAsync(ct)).ToHashSet();
        var current = (await db.Memberships.Where(Membership.Current)
                .Where(m => classIds.Contains(m.ClassId) && memberIds.Contains(m.MemberId))
                .Select(m => new { m.ClassId, m.MemberId }).ToListAsync(ct))
            .Select(m => (m.ClassId, m.MemberId)).ToHashSet();

        BatchExit? batch = null;
        if (!dryRun)
        {
            batch = new BatchExit(user.OrganisationId, body.OperatorId!.Value, user.ApiKeyId, body.ReasonCode!, body.SilentMode == true, false,
                classIds.Count, memberIds.Count, started, idempotencyKey);
            db.BatchExits.Add(batch);
            await db.SaveChangesAsync(ct);
        }

        var results = new List<BatchItemResult>(classIds.Count * memberIds.Count);
        foreach (var classId in classIds)
        {
            foreach (var memberId in memberIds)
            {
                var (status, code, exitId) = await ProcessItemAsync(classId, memberId, body, dryRun, knownClasses, knownMembers, current, ct);
                results.Add(new BatchItemResult(classId, memberId, Name(status), code));
                if (batch is null) continue;
                batch.Count(status);
                db.BatchExitItems.Add(new BatchExitItem(user.OrganisationId, batch.Id, classId, memberId, status, code, exitId));
                // Progress is visible in the portal while a large batch runs.
                if (batch.Processed % 25 == 0) await db.SaveChangesAsync(ct);
            }
        }

        if (batch is not null)
        {
            batch.Finish(clock.GetUtcNow());
            AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), clock.GetUtcNow(), "batch.executed", AuditOutcome.Succeeded, "BatchExit",
                batch.Id.ToString(), details: new
                {
                    operator_id = body.OperatorId, reason_code = body.ReasonCode, silent = body.SilentMode == true, classes = classIds.Count,
                    members = memberIds.Count, batch.Completed, batch.Skipped, batch.Refused, idempotency_key = idempotencyKey,
                });
            await db.SaveChangesAsync(ct);
            logger.LogInformation("Batch {BatchId}: {Items} items in {Ms} ms", batch.Id, batch.ItemCount, (clock.GetUtcNow() - started).TotalMilliseconds);
        }
        return new BatchResponse(batch?.Id, results, new BatchQuota(quotaState.Limit, quotaState.Remaining));
    }

    private async Task<(BatchItemStatus Status, int? Code, long? ExitRequestId)> ProcessItemAsync(long classId, long memberId, BatchRequest body, bool dryRun,
        HashSet<long> knownClasses, HashSet<long> knownMembers, HashSet<(long, long)> current, CancellationToken ct)
    {
        // Other organisations' ids look exactly like ids that do not exist.
        if (!knownClasses.Contains(classId) || !knownMembers.Contains(memberId)) return (BatchItemStatus.Refused, ErrorCatalogue.NotFound, null);
        if (!current.Contains((classId, memberId))) return (BatchItemStatus.Skipped, ErrorCatalogue.NotActiveMember, null);

        if (dryRun)
        {
            var decision = await exits.EvaluateAsync(classId, memberId, ExitKind.HrBatch, ct);
            return decision is null || decision.IsRefused
                ? (BatchItemStatus.Refused, decision?.PrimaryCode ?? ErrorCatalogue.NotFound, null)
                : (BatchItemStatus.Completed, null, null);
        }
        var result = await exits.RequestAsync(new ExitCommand(classId, memberId, ExitKind.HrBatch, ExitChannel.Api, VerificationMethod.ApiKey,
            ReasonCode: body.ReasonCode, Silent: body.SilentMode == true, OperatorMemberId: body.OperatorId), ct);
        return result.Decision.IsRefused
            ? (BatchItemStatus.Refused, result.Decision.PrimaryCode, null)
            : (BatchItemStatus.Completed, null, result.ExitRequestId);
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

    private static string Name(BatchItemStatus status) => status switch
    {
        BatchItemStatus.Completed => "completed",
        BatchItemStatus.Skipped => "skipped",
        _ => "refused",
    };
}
