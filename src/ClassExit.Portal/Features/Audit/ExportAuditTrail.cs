using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Infrastructure;

namespace ClassExit.Portal.Features.Audit;

/// <summary>
/// The audit trail of one streamed export (audit CSV, message archive). <see cref="StartAsync"/> commits "<c>{action}_started</c>"
/// with the scope before the first byte may leave; exactly one of <see cref="CompletedAsync"/> ("<c>{completed}</c>") or
/// <see cref="AbortedAsync"/> ("<c>{action}_aborted</c>") follows with the rows and bytes written, so a download that is cut off
/// still leaves a record of what started to leave. Both ends share the correlation id of the request.
/// </summary>
public sealed class ExportAuditTrail
{
    private readonly TenantDb _tenantDb;
    private readonly TimeProvider _clock;
    private readonly PortalPrincipal _user;
    private readonly AuditActor _actor;
    private readonly string _action;
    private readonly string _completedAction;
    private readonly string _targetType;
    private readonly string? _targetId;
    private readonly long? _classId;
    private readonly long? _memberId;
    private readonly bool _securityEvent;
    private bool _finished;

    private ExportAuditTrail(TenantDb tenantDb, TimeProvider clock, PortalPrincipal user, string action, string completedAction, string targetType,
        string? targetId, long? classId, long? memberId, bool securityEvent)
    {
        _tenantDb = tenantDb;
        _clock = clock;
        _user = user;
        _actor = AuditActor.From(user);
        _action = action;
        _completedAction = completedAction;
        _targetType = targetType;
        _targetId = targetId;
        _classId = classId;
        _memberId = memberId;
        _securityEvent = securityEvent;
    }

    /// <summary>The id of the committed "started" entry.</summary>
    public long StartedEntryId { get; private set; }

    /// <summary>Writes and commits "<paramref name="action"/>_started" in <paramref name="db"/> (the caller has authorized the export).</summary>
    public static async Task<ExportAuditTrail> StartAsync(PortalDbContext db, TenantDb tenantDb, TimeProvider clock, PortalPrincipal user, string action,
        string completedAction, string targetType, string? targetId, long? classId, long? memberId, bool securityEvent, object scope, CancellationToken ct)
    {
        var trail = new ExportAuditTrail(tenantDb, clock, user, action, completedAction, targetType, targetId, classId, memberId, securityEvent);
        var entry = AuditLog.Add(db, user.OrganisationId, trail._actor, clock.GetUtcNow(), $"{action}_started", AuditOutcome.Succeeded, targetType, targetId,
            classId, memberId, securityEvent: securityEvent, details: scope);
        await db.SaveChangesAsync(ct);
        trail.StartedEntryId = entry.Id;
        return trail;
    }

    public Task CompletedAsync(long rows, long bytes) =>
        FinishAsync(_completedAction, AuditOutcome.Succeeded, new { started_entry = StartedEntryId, rows, bytes, finished = true });

    /// <summary>The export stopped before its end (the client went away, a write failed); <paramref name="reason"/> says which.</summary>
    public Task AbortedAsync(long rows, long bytes, string reason) =>
        FinishAsync($"{_action}_aborted", AuditOutcome.Failed, new { started_entry = StartedEntryId, rows, bytes, finished = false, reason });

    private async Task FinishAsync(string action, AuditOutcome outcome, object details)
    {
        if (_finished) return;
        _finished = true;
        // Not the request's token: the request may be the thing that was aborted, and the entry must still be written.
        await using var db = await _tenantDb.CreateAsync(CancellationToken.None);
        AuditLog.Add(db, _user.OrganisationId, _actor, _clock.GetUtcNow(), action, outcome, _targetType, _targetId, _classId, _memberId,
            securityEvent: _securityEvent, details: details);
        await db.SaveChangesAsync(CancellationToken.None);
    }

    /// <summary>A short reason for an aborted export, from what stopped it.</summary>
    public static string ReasonOf(Exception exception) => exception switch
    {
        OperationCanceledException => "cancelled",
        IOException => "connection",
        _ => exception.GetType().Name,
    };
}
