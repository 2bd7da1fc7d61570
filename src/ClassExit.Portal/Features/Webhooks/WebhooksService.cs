using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Notifications;
using ClassExit.Portal.Domain.Webhooks;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Webhooks;

public sealed record WebhookEndpointRow(long Id, string Url, IReadOnlyList<string> EventKinds, bool Enabled, string? DisabledReason,
    DateTimeOffset? DisabledAt, bool AllowInternalAddress, DateTimeOffset CreatedAt, DateTimeOffset SecretRotatedAt, int Pending, int Failed);

public sealed record WebhookDeliveryRow(long Id, string MessageId, string EventKind, WebhookDeliveryStatus Status, int Attempts,
    DateTimeOffset CreatedAt, DateTimeOffset? LastAttemptAt, DateTimeOffset? NextAttemptAt, int? ResponseCode, int? DurationMs, string? LastError);

public sealed record WebhookDeliveryPage(IReadOnlyList<WebhookDeliveryRow> Rows, int Total);

/// <summary>Done (with the endpoint's id, and its new secret when one was made: shown once), or refused with a catalogue code.</summary>
public sealed record WebhookResult(int? Code, long? Id = null, string? Secret = null)
{
    public bool Succeeded => Code is null;

    public static WebhookResult Refused(int code) => new(code);
}

/// <summary>
/// The organisation's webhook endpoints (enterprise admins, <see cref="PortalAction.ManageWebhooks"/>): add (URL checked against
/// SSRF, secret shown once), enable / disable, rotate the secret, delete, the delivery log, resend, send a test event. Every
/// change is audited in its own transaction.
/// </summary>
public sealed class WebhooksService(TenantDb tenantDb, PortalAuthorizer authorizer, TimeProvider clock, WebhookSecrets secrets,
    WebhookUrlPolicy urls, WebhookKick kick)
{
    /// <summary>The event kinds an endpoint may subscribe to (the notification catalogue).</summary>
    public static IReadOnlyList<string> Kinds => EventKinds.All;

    /// <summary>May the signed-in user manage webhooks (for the page; the methods decide again)?</summary>
    public Task<bool> CanManageAsync(CancellationToken ct = default) => authorizer.CanAsync(PortalAction.ManageWebhooks, ct: ct);

    public async Task<IReadOnlyList<WebhookEndpointRow>> ListAsync(CancellationToken ct = default)
    {
        if (!await CanManageAsync(ct)) return [];
        await using var db = await tenantDb.CreateAsync(ct);
        var rows = await db.WebhookEndpoints.AsNoTracking().OrderBy(e => e.Id)
            .Select(e => new
            {
                e.Id, e.Url, e.EventKinds, e.Enabled, e.DisabledReason, e.DisabledAt, e.AllowInternalAddress, e.CreatedAt, e.SecretRotatedAt,
                Pending = db.WebhookDeliveries.Count(d => d.EndpointId == e.Id && d.Status == WebhookDeliveryStatus.Pending),
                Failed = db.WebhookDeliveries.Count(d => d.EndpointId == e.Id && d.Status == WebhookDeliveryStatus.Failed),
            }).ToListAsync(ct);
        return rows.Select(e => new WebhookEndpointRow(e.Id, e.Url, e.EventKinds.Split(',', StringSplitOptions.RemoveEmptyEntries), e.Enabled, e.DisabledReason,
            e.DisabledAt, e.AllowInternalAddress, e.CreatedAt, e.SecretRotatedAt, e.Pending, e.Failed)).ToList();
    }

    /// <summary>One endpoint's deliveries, newest first, a page at a time (server paging).</summary>
    public async Task<WebhookDeliveryPage> DeliveriesAsync(long endpointId, int page, int pageSize, CancellationToken ct = default)
    {
        if (!await CanManageAsync(ct)) return new([], 0);
        pageSize = Math.Clamp(pageSize, 1, 100);
        await using var db = await tenantDb.CreateAsync(ct);
        var query = db.WebhookDeliveries.AsNoTracking().Where(d => d.EndpointId == endpointId);
        var total = await query.CountAsync(ct);
        var rows = await query.OrderByDescending(d => d.Id).Skip(Math.Max(page, 0) * pageSize).Take(pageSize)
            .Select(d => new WebhookDeliveryRow(d.Id, d.MessageId, d.EventKind, d.Status, d.Attempts, d.CreatedAt, d.LastAttemptAt, d.NextAttemptAt,
                d.ResponseCode, d.DurationMs, d.LastError)).ToListAsync(ct);
        return new(rows, total);
    }

    /// <summary>
    /// A new endpoint receiving <paramref name="eventKinds"/>. Refused: 40302, 40003 (URL longer than
    /// <see cref="TextLimits.WebhookUrl"/>), 50921 (not an https URL), 50923 (host does not resolve), 50922 (internal address
    /// without <paramref name="allowInternalAddress"/>), 50925 (no or unknown events), 50924 (already
    /// <see cref="TextLimits.WebhookEndpoints"/> endpoints). The secret in the result is shown once and never again.
    /// </summary>
    public async Task<WebhookResult> CreateAsync(string url, IReadOnlyCollection<string> eventKinds, bool allowInternalAddress, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandAsync(db, user, PortalAction.ManageWebhooks, new AccessTarget(), "WebhookEndpoint", null, ct) is { } refused)
            return WebhookResult.Refused(refused);
        if (await InputLimits.CheckAsync(db, user, clock, "webhook.endpoint_created", ct, new TextInput("webhook_url", url, TextLimits.WebhookUrl)) is { } tooLong)
            return WebhookResult.Refused(tooLong);
        if (eventKinds.Count == 0 || !eventKinds.All(EventKinds.All.Contains)) return WebhookResult.Refused(ErrorCatalogue.WebhookNoEvents);
        url = (url ?? "").Trim();
        var now = clock.GetUtcNow();
        if (await urls.CheckAsync(url, allowInternalAddress, ct) is { } bad)
        {
            AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), now, "webhook.endpoint_refused", AuditOutcome.Refused, "WebhookEndpoint", null,
                code: bad.Code, securityEvent: bad.Code == ErrorCatalogue.WebhookAddressInternal, details: new { url, why = bad.Why });
            await db.SaveChangesAsync(ct);
            return WebhookResult.Refused(bad.Code);
        }
        if (await db.WebhookEndpoints.CountAsync(ct) >= TextLimits.WebhookEndpoints) return WebhookResult.Refused(ErrorCatalogue.WebhookEndpointLimit);

        var secret = WebhookSecrets.NewSecret();
        var kinds = EventKinds.All.Where(eventKinds.Contains).ToList();
        var endpoint = new WebhookEndpoint(user.OrganisationId, url, kinds, secrets.Protect(secret), allowInternalAddress, user.UserId, now);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.WebhookEndpoints.Add(endpoint);
        await db.SaveChangesAsync(ct);
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), now, "webhook.endpoint_created", AuditOutcome.Succeeded, "WebhookEndpoint",
            endpoint.Id.ToString(), securityEvent: allowInternalAddress, details: new { url, events = kinds, allow_internal_address = allowInternalAddress });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new WebhookResult(null, endpoint.Id, secret);
    }

    /// <summary>Enables or disables an endpoint (disabling cancels what it still had pending). Refused: 40302, 40401.</summary>
    public async Task<WebhookResult> SetEnabledAsync(long id, bool enabled, CancellationToken ct = default) =>
        await ChangeAsync(id, enabled ? "webhook.endpoint_enabled" : "webhook.endpoint_disabled", async (db, endpoint, now) =>
        {
            if (endpoint.Enabled == enabled) return null;
            var reason = endpoint.DisabledReason;
            if (enabled) endpoint.Enable();
            else endpoint.Disable("disabled by an admin", now);
            var cancelled = enabled ? 0 : await CancelPendingAsync(db, endpoint.Id, "endpoint disabled", ct);
            return new { endpoint.Url, previous_reason = reason, cancelled };
        }, ct);

    /// <summary>A new signing secret (the old one stops working at once; the result carries the new one, shown once). Refused: 40302, 40401.</summary>
    public async Task<WebhookResult> RotateSecretAsync(long id, CancellationToken ct = default)
    {
        var secret = WebhookSecrets.NewSecret();
        var result = await ChangeAsync(id, "webhook.secret_rotated", (db, endpoint, now) =>
        {
            endpoint.RotateSecret(secrets.Protect(secret), now);
            return Task.FromResult<object?>(new { endpoint.Url });
        }, ct);
        return result.Succeeded ? result with { Secret = secret } : result;
    }

    /// <summary>Deletes an endpoint and its delivery log; nothing more is sent to it. Refused: 40302, 40401.</summary>
    public async Task<WebhookResult> DeleteAsync(long id, CancellationToken ct = default) =>
        await ChangeAsync(id, "webhook.endpoint_deleted", async (db, endpoint, now) =>
        {
            var deliveries = await db.WebhookDeliveries.CountAsync(d => d.EndpointId == endpoint.Id, ct);
            var pending = await db.WebhookDeliveries.CountAsync(d => d.EndpointId == endpoint.Id && d.Status == WebhookDeliveryStatus.Pending, ct);
            await db.WebhookDeliveries.Where(d => d.EndpointId == endpoint.Id).ExecuteDeleteAsync(ct);
            db.WebhookEndpoints.Remove(endpoint);
            return new { endpoint.Url, events = endpoint.Kinds, deliveries, pending_cancelled = pending };
        }, ct);

    /// <summary>
    /// Sends one delivery again, now, with the same <c>webhook-id</c> and body (the receiver may already have it).
    /// Refused: 40302, 40401, 50926 (endpoint disabled).
    /// </summary>
    public async Task<WebhookResult> ResendAsync(long deliveryId, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandAsync(db, user, PortalAction.ManageWebhooks, new AccessTarget(), "WebhookDelivery", deliveryId.ToString(), ct) is { } refused)
            return WebhookResult.Refused(refused);
        var delivery = await db.WebhookDeliveries.SingleOrDefaultAsync(d => d.Id == deliveryId, ct);
        if (delivery is null)
            return WebhookResult.Refused(await authorizer.NotFoundAsync(db, user, PortalAction.ManageWebhooks, "WebhookDelivery", deliveryId.ToString(), ct));
        var endpoint = await db.WebhookEndpoints.SingleAsync(e => e.Id == delivery.EndpointId, ct);
        if (!endpoint.Enabled) return WebhookResult.Refused(ErrorCatalogue.WebhookEndpointDisabled);
        var now = clock.GetUtcNow();
        var previous = delivery.Status;
        delivery.Resend(now);
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), now, "webhook.delivery_resent", AuditOutcome.Succeeded, "WebhookDelivery",
            delivery.Id.ToString(), details: new { endpoint = endpoint.Id, endpoint.Url, delivery.MessageId, delivery.EventKind, previous = previous.ToString() });
        await db.SaveChangesAsync(ct);
        kick.Now();
        return new WebhookResult(null, delivery.Id);
    }

    /// <summary>Queues a <c>webhook.test</c> event to this endpoint alone. Refused: 40302, 40401, 50926 (endpoint disabled).</summary>
    public async Task<WebhookResult> SendTestAsync(long id, CancellationToken ct = default)
    {
        long? deliveryId = null;
        var result = await ChangeAsync(id, "webhook.test_sent", async (db, endpoint, now) =>
        {
            if (!endpoint.Enabled) throw new EndpointDisabled();
            var e = new Notifications.PortalEvent(endpoint.OrganisationId, WebhookPayload.TestKind, now, "WebhookEndpoint", endpoint.Id.ToString(),
                Data: new Dictionary<string, object?> { ["message"] = "Test event from ClassExit.Portal" });
            var delivery = new WebhookDelivery(endpoint.OrganisationId, endpoint.Id, WebhookPayload.NewMessageId(), e.Kind, WebhookPayload.Serialize(e), now);
            db.WebhookDeliveries.Add(delivery);
            await db.SaveChangesAsync(ct);
            deliveryId = delivery.Id;
            return new { endpoint.Url, delivery.MessageId };
        }, ct);
        if (result.Succeeded) kick.Now();
        return result.Succeeded ? result with { Id = deliveryId } : result;
    }

    private sealed class EndpointDisabled : Exception;

    /// <summary>Demand, find the endpoint, change it, audit: one transaction. The change returns the audit details (null: nothing to do).</summary>
    private async Task<WebhookResult> ChangeAsync(long id, string action, Func<PortalDbContext, WebhookEndpoint, DateTimeOffset, Task<object?>> change,
        CancellationToken ct)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandAsync(db, user, PortalAction.ManageWebhooks, new AccessTarget(), "WebhookEndpoint", id.ToString(), ct) is { } refused)
            return WebhookResult.Refused(refused);
        var endpoint = await db.WebhookEndpoints.SingleOrDefaultAsync(e => e.Id == id, ct);
        if (endpoint is null)
            return WebhookResult.Refused(await authorizer.NotFoundAsync(db, user, PortalAction.ManageWebhooks, "WebhookEndpoint", id.ToString(), ct));
        var now = clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        object? details;
        try
        {
            details = await change(db, endpoint, now);
        }
        catch (EndpointDisabled)
        {
            return WebhookResult.Refused(ErrorCatalogue.WebhookEndpointDisabled);
        }
        if (details is null) return new WebhookResult(null, id);
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), now, action, AuditOutcome.Succeeded, "WebhookEndpoint", id.ToString(), details: details);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new WebhookResult(null, id);
    }

    private static Task<int> CancelPendingAsync(PortalDbContext db, long endpointId, string why, CancellationToken ct) =>
        db.WebhookDeliveries.Where(d => d.EndpointId == endpointId && d.Status == WebhookDeliveryStatus.Pending)
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, WebhookDeliveryStatus.Cancelled).SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null)
                .SetProperty(d => d.LastError, why), ct);
}
