using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Features.Audit;

namespace ClassExit.Portal.Infrastructure;

/// <summary>One free-text input of a service call: its field name (as docs/limits.md names it), its value and its maximum.</summary>
public readonly record struct TextInput(string Field, string? Value, int Max);

/// <summary>
/// The services' check of <see cref="TextLimits"/>: a value longer than its maximum is refused with 40003 before anything changes,
/// with one audit entry (<c>input.refused</c>, outcome Refused) naming the operation, the field, its maximum and the length sent.
/// </summary>
public static class InputLimits
{
    public static async Task<int?> CheckAsync(PortalDbContext db, PortalPrincipal user, TimeProvider clock, string operation, CancellationToken ct,
        params TextInput[] inputs)
    {
        foreach (var input in inputs)
        {
            if (!TextLimits.Exceeds(input.Value, input.Max)) continue;
            db.ChangeTracker.Clear();
            AuditLog.Add(db, user.HasOrganisation ? user.OrganisationId : null, AuditActor.From(user), clock.GetUtcNow(), "input.refused",
                AuditOutcome.Refused, "Input", input.Field, code: ErrorCatalogue.TextTooLong,
                details: new { operation, field = input.Field, max = input.Max, length = input.Value!.Trim().Length });
            await db.SaveChangesAsync(ct);
            return ErrorCatalogue.TextTooLong;
        }
        return null;
    }

    /// <summary>
    /// <see cref="CheckAsync(PortalDbContext, PortalPrincipal, TimeProvider, string, CancellationToken, TextInput[])"/> for a call that
    /// has not opened a context yet: one is opened only to audit a refusal.
    /// </summary>
    public static async Task<int?> CheckAsync(TenantDb tenantDb, TimeProvider clock, string operation, CancellationToken ct, params TextInput[] inputs)
    {
        if (!inputs.Any(i => TextLimits.Exceeds(i.Value, i.Max))) return null;
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        return await CheckAsync(db, user, clock, operation, ct, inputs);
    }

    /// <summary>A list longer than <paramref name="max"/> is refused alike, with 40002 (whose remedy names list lengths).</summary>
    public static async Task<int?> CheckListAsync(PortalDbContext db, PortalPrincipal user, TimeProvider clock, string operation, string field, int count,
        int max, CancellationToken ct)
    {
        if (count <= max) return null;
        db.ChangeTracker.Clear();
        AuditLog.Add(db, user.HasOrganisation ? user.OrganisationId : null, AuditActor.From(user), clock.GetUtcNow(), "input.refused",
            AuditOutcome.Refused, "Input", field, code: ErrorCatalogue.MalformedRequest, details: new { operation, field, max, count });
        await db.SaveChangesAsync(ct);
        return ErrorCatalogue.MalformedRequest;
    }
}
