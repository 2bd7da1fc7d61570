using ClassExit.Portal.Components.Shared;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Bulk;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.BulkExits;

public sealed record QuotaRequestRow(long Id, long OrganisationId, string OrganisationName, int CurrentLimit, int RequestedLimit, string Reason,
    QuotaRequestStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? DecidedAt, string? DecidedBy, string? DecisionNote);

/// <summary>
/// Quota increases: an organisation asks, a platform operator decides. Platform operators work across organisations, so
/// their side reads with a system-scoped context and checks the role itself.
/// </summary>
public sealed class QuotaRequestsService(TenantDb tenantDb, IDbContextFactory<PortalDbContext> factory, TimeProvider clock)
{
    public async Task<IReadOnlyList<QuotaRequestRow>> OwnAsync(CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        return await Rows(db, db.QuotaIncreaseRequests).ToListAsync(ct);
    }

    /// <summary>Returns a bilingual message when refused.</summary>
    public async Task<string?> RequestAsync(int requestedLimit, string reason, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
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

    public async Task<IReadOnlyList<QuotaRequestRow>> PendingForPlatformAsync(CancellationToken ct = default)
    {
        await RequirePlatformOperatorAsync();
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        return await Rows(db, db.QuotaIncreaseRequests.Where(r => r.Status == QuotaRequestStatus.Pending)).ToListAsync(ct);
    }

    public async Task<bool> DecideAsync(long id, bool approve, string? note, CancellationToken ct = default)
    {
        var user = await RequirePlatformOperatorAsync();
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var request = await db.QuotaIncreaseRequests.SingleOrDefaultAsync(r => r.Id == id, ct);
        if (request is null || request.Status != QuotaRequestStatus.Pending) return false;
        var now = clock.GetUtcNow();
        request.Decide(approve, user.Name, now, note);
        var org = await db.Organisations.SingleAsync(o => o.Id == request.OrganisationId, ct);
        var before = org.Policy.DailyBatchQuota;
        if (approve) org.ReplacePolicy(org.Policy with { DailyBatchQuota = request.RequestedLimit });
        // The entry belongs to the organisation whose quota changed, where its admins and auditors see it.
        AuditLog.Add(db, request.OrganisationId, AuditActor.From(user), now, approve ? "quota.increase_approved" : "quota.increase_refused",
            AuditOutcome.Succeeded, "QuotaIncreaseRequest", id.ToString(), details: new { before, after = org.Policy.DailyBatchQuota, note });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }

    private async Task<PortalPrincipal> RequirePlatformOperatorAsync()
    {
        var user = await tenantDb.UserAsync();
        if (!user.IsInRole(PortalRoles.PlatformOperator)) throw new UnauthorizedAccessException("Platform operators only.");
        return user;
    }

    private static IQueryable<QuotaRequestRow> Rows(PortalDbContext db, IQueryable<QuotaIncreaseRequest> requests) =>
        requests.OrderByDescending(r => r.Id).Select(r => new QuotaRequestRow(r.Id, r.OrganisationId,
            db.Organisations.Where(o => o.Id == r.OrganisationId).Select(o => o.Name).FirstOrDefault() ?? "", r.CurrentLimit, r.RequestedLimit, r.Reason,
            r.Status, r.CreatedAt, r.DecidedAt, r.DecidedBy, r.DecisionNote));
}
