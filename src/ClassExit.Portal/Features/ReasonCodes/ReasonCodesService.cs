using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.ReasonCodes;

public sealed record ReasonCodeRow(long Id, string Code, string Label, bool Active);

/// <summary>The organisation's 6-digit exit reason codes: list, add, retire. Audited.</summary>
public sealed class ReasonCodesService(TenantDb tenantDb, TimeProvider clock, PortalAuthorizer authorizer)
{
    public async Task<IReadOnlyList<ReasonCodeRow>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        return await db.ReasonCodes.AsNoTracking().OrderByDescending(r => r.Active).ThenBy(r => r.Code)
            .Select(r => new ReasonCodeRow(r.Id, r.Code, r.Label, r.Active)).ToListAsync(ct);
    }

    /// <summary>The active codes, for API clients and pickers.</summary>
    public async Task<IReadOnlyList<ReasonCodeRow>> ActiveAsync(CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        return await db.ReasonCodes.AsNoTracking().Where(r => r.Active).OrderBy(r => r.Code)
            .Select(r => new ReasonCodeRow(r.Id, r.Code, r.Label, r.Active)).ToListAsync(ct);
    }

    /// <summary>Adds a code; returns a bilingual message when it is refused.</summary>
    public async Task<string?> AddAsync(string code, string label, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandOrganisationAsync(db, user, PortalAction.ManageReasonCodes, "ReasonCode", null, ct) is { } refused)
            return ErrorText.Line(refused);
        code = code.Trim();
        if (!ReasonCode.IsWellFormed(code)) return Text.Get("ReasonCodes.ErrorFormat");
        if (string.IsNullOrWhiteSpace(label)) return Text.Get("ReasonCodes.ErrorLabel");
        if (await InputLimits.CheckAsync(db, user, clock, "reason_code.added", ct, new TextInput("reason_code_label", label, TextLimits.ReasonCodeLabel)) is { } tooLong)
            return ErrorText.Line(tooLong);
        if (await db.ReasonCodes.AnyAsync(r => r.Code == code, ct)) return Text.Get("ReasonCodes.ErrorExists");
        var now = clock.GetUtcNow();
        var reason = new ReasonCode(user.OrganisationId, code, label.Trim());
        db.ReasonCodes.Add(reason);
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), now, "reason_code.added", AuditOutcome.Succeeded, "ReasonCode", code,
            details: new { code, label });
        await db.SaveChangesAsync(ct);
        return null;
    }

    public async Task<int?> RetireAsync(long id, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandOrganisationAsync(db, user, PortalAction.ManageReasonCodes, "ReasonCode", id.ToString(), ct) is { } refused) return refused;
        var reason = await db.ReasonCodes.SingleOrDefaultAsync(r => r.Id == id && r.Active, ct);
        if (reason is null) return await authorizer.NotFoundAsync(db, user, PortalAction.ManageReasonCodes, "ReasonCode", id.ToString(), ct);
        reason.Retire();
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), clock.GetUtcNow(), "reason_code.retired", AuditOutcome.Succeeded, "ReasonCode", reason.Code);
        await db.SaveChangesAsync(ct);
        return null;
    }
}
