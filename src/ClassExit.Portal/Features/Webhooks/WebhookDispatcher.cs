using System.Diagnostics;
using System.Text;
using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Webhooks;
using ClassExit.Portal.Features.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using StandardWebhooks;

namespace ClassExit.Portal.Features.Webhooks;

/// <summary>
/// Sends due deliveries, one attempt at a time per row (a sender claims the row first), signed per Standard Webhooks with the
/// endpoint's secret: <c>webhook-id</c> (the same on every attempt), <c>webhook-timestamp</c>, <c>webhook-signature</c>.
/// 2xx succeeds; <c>410 Gone</c> disables the endpoint (audited, the reason shown on the page) and cancels what it still had
/// pending; anything else is retried on <see cref="WebhookRetry"/>'s schedule. System scope: every organisation's deliveries.
/// </summary>
public sealed class WebhookDispatcher(IDbContextFactory<PortalDbContext> factory, IHttpClientFactory http, WebhookSecrets secrets,
    WebhookUrlPolicy urls, TimeProvider clock, IOptions<WebhookOptions> options, ILogger<WebhookDispatcher> log)
{
    public const string JobId = "webhooks-dispatch";
    public const string GoneReason = "410 Gone";

    /// <summary>Longer than any attempt can take (the client's timeout): a sender that died gives its rows back after this.</summary>
    private TimeSpan ClaimFor => TimeSpan.FromSeconds(options.Value.TimeoutSeconds * 3 + 30);

    /// <summary>Every due delivery, in due order, in passes of <see cref="WebhookOptions.BatchSize"/>. Returns how many attempts were made.</summary>
    [Hangfire.DisableConcurrentExecution(timeoutInSeconds: 60)]
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var attempts = 0;
        for (var pass = 0; pass < 100; pass++)
        {
            var now = clock.GetUtcNow();
            List<long> due;
            await using (var db = (await factory.CreateDbContextAsync(ct)).ForSystem())
                due = await db.WebhookDeliveries.AsNoTracking()
                    .Where(d => d.Status == WebhookDeliveryStatus.Pending && d.NextAttemptAt <= now && (d.ClaimedUntil == null || d.ClaimedUntil < now))
                    .OrderBy(d => d.NextAttemptAt).ThenBy(d => d.Id).Select(d => d.Id).Take(options.Value.BatchSize).ToListAsync(ct);
            foreach (var id in due)
                if (await AttemptAsync(id, ct)) attempts++;
            if (due.Count < options.Value.BatchSize) break;
        }
        return attempts;
    }

    /// <summary>One attempt of one delivery if it is due and nobody else holds it; false when it was not attempted.</summary>
    public async Task<bool> AttemptAsync(long deliveryId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var until = now + ClaimFor;
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var claimed = await db.WebhookDeliveries
            .Where(d => d.Id == deliveryId && d.Status == WebhookDeliveryStatus.Pending && d.NextAttemptAt <= now
                && (d.ClaimedUntil == null || d.ClaimedUntil < now))
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.ClaimedUntil, until), ct);
        if (claimed == 0) return false;

        var delivery = await db.WebhookDeliveries.SingleAsync(d => d.Id == deliveryId, ct);
        var endpoint = await db.WebhookEndpoints.SingleAsync(e => e.Id == delivery.EndpointId, ct);
        if (!endpoint.Enabled)
        {
            delivery.Cancel("endpoint disabled");
            await db.SaveChangesAsync(ct);
            return false;
        }

        int? status = null;
        string? error = null;
        var watch = Stopwatch.StartNew();
        try
        {
            if (!urls.SchemeAllowed(endpoint.Url)) throw new WebhookAddressRefusedException("http:// is not allowed here; use https://");
            var sentAt = clock.GetUtcNow();
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url)
            {
                Content = new StringContent(delivery.Payload, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("webhook-id", delivery.MessageId);
            request.Headers.Add("webhook-timestamp", sentAt.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add("webhook-signature", new StandardWebhook(secrets.Unprotect(endpoint.ProtectedSecret)).Sign(delivery.MessageId, sentAt, delivery.Payload));
            var client = http.CreateClient(endpoint.AllowInternalAddress ? WebhooksFeature.InternalClient : WebhooksFeature.Client);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode) error = $"HTTP {status} {response.ReasonPhrase}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or System.Security.Cryptography.CryptographicException
                                       && !ct.IsCancellationRequested)
        {
            error = Describe(ex);
        }
        watch.Stop();

        var finishedAt = clock.GetUtcNow();
        delivery.Record(finishedAt, status, (int)Math.Min(watch.ElapsedMilliseconds, int.MaxValue), error);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (status == 410)
        {
            endpoint.Disable(GoneReason, finishedAt);
            var cancelled = await db.WebhookDeliveries.Where(d => d.EndpointId == endpoint.Id && d.Id != delivery.Id && d.Status == WebhookDeliveryStatus.Pending)
                .ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, WebhookDeliveryStatus.Cancelled).SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null)
                    .SetProperty(d => d.LastError, "endpoint disabled: " + GoneReason), ct);
            AuditLog.Add(db, endpoint.OrganisationId, AuditActor.System("webhook dispatcher"), finishedAt, "webhook.endpoint_disabled", AuditOutcome.Succeeded,
                "WebhookEndpoint", endpoint.Id.ToString(), details: new { endpoint.Url, reason = GoneReason, delivery = delivery.MessageId, cancelled });
            log.LogWarning("Webhook endpoint {Endpoint} answered 410 Gone and was disabled", endpoint.Id);
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }

    private static string Describe(Exception ex) => ex switch
    {
        TaskCanceledException => "timed out",
        HttpRequestException { InnerException: WebhookAddressRefusedException refused } => "refused: " + refused.Message,
        _ => ex.GetBaseException().Message,
    };
}
