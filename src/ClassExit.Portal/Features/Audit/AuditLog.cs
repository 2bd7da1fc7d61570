using System.Diagnostics;
using System.Text.Json;
using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Infrastructure;

namespace ClassExit.Portal.Features.Audit;

/// <summary>Who acted, for the audit log.</summary>
public sealed record AuditActor(string? UserId, long? MemberId, string Name, string CorrelationId)
{
    public static AuditActor From(PortalPrincipal principal) =>
        new(principal.UserId, principal.MemberId, principal.Name, CurrentCorrelationId());

    public static AuditActor System(string name = "system") => new(null, null, name, CurrentCorrelationId());

    public static string CurrentCorrelationId() => Activity.Current?.TraceId.ToString() ?? Guid.NewGuid().ToString("N");
}

/// <summary>
/// Adds audit entries to the context that carries the change, so they commit (or roll back) in the same transaction.
/// </summary>
public static class AuditLog
{
    // Chinese text and arrows stay readable in the stored JSON (it is never written into HTML unencoded).
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static AuditEntry Add(PortalDbContext db, long? organisationId, AuditActor actor, DateTimeOffset now, string action,
        AuditOutcome outcome = AuditOutcome.Succeeded, string? targetType = null, string? targetId = null, long? classId = null,
        long? memberId = null, int? code = null, bool securityEvent = false, object? details = null)
    {
        var entry = new AuditEntry(organisationId, now, action, outcome, actor.UserId, actor.MemberId, actor.Name, targetType, targetId,
            actor.CorrelationId, classId, memberId, code, securityEvent, details is null ? null : JsonSerializer.Serialize(details, Json));
        db.AuditEntries.Add(entry);
        return entry;
    }
}
