using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Bulk;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.BulkExits;

public sealed record QuotaRequestRow(long Id, long OrganisationId, string OrganisationName, int CurrentLimit, int RequestedLimit, string Reason,
    QuotaRequestStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? DecidedAt, string? DecidedBy, string? DecisionNote);

/// <summary>
/// Quota increases: an organisation asks, a platform operator decides. Platform operators belong to no organisation (their tenant
/// context sees no rows at all), so their side reads and decides across organisations in an explicit system scope, after the
/// authorizer has said yes.
/// </summary>
public sealed class QuotaRequestsService(TenantDb tenantDb, IDbContextFactory<PortalDbContext> factory, PortalAuthorizer authorizer, TimeProvider clock,
    Notifications.PortalEvents events)
{
    /// <summary>The longest reason or decision note stored (the columns' length).</summary>
    public const int MaxTextLength = TextLimits.Reason;

    public async Task<IReadOnlyList<QuotaRequestRow>> OwnAsync(CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        return await Rows(db, db.QuotaIncreaseRequests).ToListAsync(ct);
    }

    /// <summary>Returns a message in the reader's language when refused (a catalogue refusal as its code line).</summary>
    public async Task<string?> RequestAsync(int requestedLimit, string reason, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandAsync(db, user, PortalAction.RequestQuota, new AccessTarget(), "QuotaIncreaseRequest", ct: ct) is { } refused)
            return ErrorText.Line(refused);
        if (await InputLimits.CheckAsync(db, user, clock, "quota.increase_requested", ct, new TextInput("quota_request_reason", reason, TextLimits.Reason)) is { } tooLong)
            return ErrorText.Line(tooLong);
        var current = await db.Organisations.Where(o => o.Id == user.OrganisationId).Select(o => o.Policy.DailyBatchQuota).SingleAsync(ct);
        if (requestedLimit <= current || requestedLimit > 100_000) return Text.Format("Quota.ErrorRange", current);
        if (string.IsNullOrWhiteSpace(reason)) return Text.Get("Quota.ErrorReason");
        if (await db.QuotaIncreaseRequests.AnyAsync(r => r.Status == QuotaRequestStatus.Pending, ct)) return Text.Get("Quota.ErrorPending");
        var now = clock.GetUtcNow();
        var request = new QuotaIncreaseRequest(user.OrganisationId, current, requestedLimit, reason.Trim(), user.MemberId ?? 0, now);
        db.QuotaIncreaseRequests.Add(request);
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), now, "quota.increase_requested", AuditOutcome.Succeeded, "QuotaIncreaseRequest", null,
            details: new { current, requestedLimit, reason });
        await db.SaveChangesAsync(ct);
        return null;
    }

    /// <summary>Every organisation's pending requests, for platform operators; anyone else gets the refusal's code and no rows.</summary>
    public async Task<(int? Code, IReadOnlyList<QuotaRequestRow> Pending)> PendingForPlatformAsync(CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        // System scope on purpose: the platform's work spans organisations, and a platform operator's tenant context sees none.
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        if (await authorizer.DemandAsync(db, user, PortalAction.DecideQuota, new AccessTarget(), "QuotaIncreaseRequest", ct: ct) is { } refused)
            return (refused, []);
        return (null, await Rows(db, db.QuotaIncreaseRequests.Where(r => r.Status == QuotaRequestStatus.Pending)).ToListAsync(ct));
    }

    /// <summary>Approves (the organisation's daily quota becomes the requested limit) or refuses one request. Null when done, else the code.</summary>
    public async Task<int?> DecideAsync(long id, bool approve, string? note, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        // System scope on purpose: the request and the quota it changes belong to an organisation the platform operator is not in.
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        if (await authorizer.DemandAsync(db, user, PortalAction.DecideQuota, new AccessTarget(), "QuotaIncreaseRequest", id.ToString(), ct) is { } refused)
            return refused;
        if (await InputLimits.CheckAsync(db, user, clock, "quota.increase_decided", ct, new TextInput("quota_decision_note", note, TextLimits.DecisionNote)) is { } tooLong)
            return tooLong;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var request = await db.QuotaIncreaseRequests.SingleOrDefaultAsync(r => r.Id == id, ct);
        if (request is null) return ErrorCatalogue.NotFound;
        if (request.Status != QuotaRequestStatus.Pending) return ErrorCatalogue.RequestAlreadyDecided;
        var now = clock.GetUtcNow();
        request.Decide(approve, user.Name, now, note);
        var org = await db.Organisations.SingleAsync(o => o.Id == request.OrganisationId, ct);
        var before = org.Policy.DailyBatchQuota;
        if (approve) org.ReplacePolicy(org.Policy with { DailyBatchQuota = request.RequestedLimit });
        // The entry belongs to the organisation whose quota changed, where its admins and auditors see it.
        AuditLog.Add(db, request.OrganisationId, AuditActor.From(user), now, approve ? "quota.increase_approved" : "quota.increase_refused",
            AuditOutcome.Succeeded, "QuotaIncreaseRequest", id.ToString(), details: new { before, after = org.Policy.DailyBatchQuota, note });
        await events.RaiseAsync(db, new Notifications.PortalEvent(request.OrganisationId, Domain.Notifications.EventKinds.QuotaDecided, now,
            "QuotaIncreaseRequest", id.ToString(), Data: new Dictionary<string, object?>
            {
                ["approved"] = approve, ["requested"] = request.RequestedLimit, ["limit"] = org.Policy.DailyBatchQuota, ["note"] = note,
                ["outcome_en"] = approve ? "approved" : "refused", ["outcome_zh"] = approve ? "已批准" : "未获批准",
            }), ct);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Another operator decided it between our read and our write; theirs stands.
            return ErrorCatalogue.RequestAlreadyDecided;
        }
        await tx.CommitAsync(ct);
        return null;
    }

    private static IQueryable<QuotaRequestRow> Rows(PortalDbContext db, IQueryable<QuotaIncreaseRequest> requests) =>
        requests.OrderByDescending(r => r.Id).Select(r => new QuotaRequestRow(r.Id, r.OrganisationId,
            db.Organisations.Where(o => o.Id == r.OrganisationId).Select(o => o.Name).FirstOrDefault() ?? "", r.CurrentLimit, r.RequestedLimit, r.Reason,
            r.Status, r.CreatedAt, r.DecidedAt, r.DecidedBy, r.DecisionNote));
}
