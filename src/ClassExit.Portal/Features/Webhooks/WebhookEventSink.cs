using System.Data;
using System.Runtime.CompilerServices;
using System.Text.Json;
using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Webhooks;
using ClassExit.Portal.Features.Notifications;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Webhooks;

/// <summary>
/// Stages one delivery per enabled endpoint of the event's organisation that subscribes to its kind, in the context (and so the
/// transaction) of the change; never an endpoint of another organisation. When that context's work is committed, the dispatcher
/// is enqueued at once (see <see cref="Staged"/>); the recurring pass delivers whatever that missed.
/// </summary>
public sealed class WebhookEventSink(TimeProvider clock, WebhookKick kick) : IPortalEventSink
{
    private static readonly ConditionalWeakTable<PortalDbContext, Staged> PerContext = new();

    public async Task StageAsync(PortalDbContext db, PortalEvent e, CancellationToken ct = default)
    {
        var staged = PerContext.GetValue(db, d => new Staged(d, kick));
        var endpoints = await staged.EndpointsAsync(e.OrganisationId, ct);
        var targets = endpoints.Where(x => x.Kinds.Contains(e.Kind)).ToList();
        if (targets.Count == 0) return;
        var messageId = WebhookPayload.NewMessageId();
        var payload = WebhookPayload.Serialize(e);
        var now = clock.GetUtcNow();
        foreach (var endpoint in targets)
            db.WebhookDeliveries.Add(new WebhookDelivery(e.OrganisationId, endpoint.Id, messageId, e.Kind, payload, now));
        staged.Pending = true;
    }

    private sealed record EndpointKinds(long Id, HashSet<string> Kinds);

    /// <summary>
    /// Per context: the organisation's subscribed endpoints, read once (a bulk exit raises one event per member), and the hook that
    /// enqueues the dispatcher after the commit. Saved outside a transaction, the save is the commit; saved inside one, the
    /// connection closes only once that transaction has ended (a rolled-back one leaves nothing to send, and the pass finds nothing).
    /// </summary>
    private sealed class Staged
    {
        private readonly PortalDbContext _db;
        private readonly WebhookKick _kick;
        private readonly Dictionary<long, List<EndpointKinds>> _endpoints = [];
        private bool _savedInTransaction;

        public Staged(PortalDbContext db, WebhookKick kick)
        {
            _db = db;
            _kick = kick;
            db.SavedChanges += (_, _) =>
            {
                if (!Pending) return;
                if (db.Database.CurrentTransaction is null) Kick();
                else _savedInTransaction = true;
            };
            db.Database.GetDbConnection().StateChange += (_, change) =>
            {
                if (change.CurrentState == ConnectionState.Closed && _savedInTransaction) Kick();
            };
        }

        public bool Pending { get; set; }

        private void Kick()
        {
            Pending = false;
            _savedInTransaction = false;
            _kick.Now();
        }

        public async Task<List<EndpointKinds>> EndpointsAsync(long organisationId, CancellationToken ct)
        {
            if (_endpoints.TryGetValue(organisationId, out var known)) return known;
            var rows = await _db.WebhookEndpoints.AsNoTracking().Where(x => x.OrganisationId == organisationId && x.Enabled)
                .Select(x => new { x.Id, x.EventKinds }).ToListAsync(ct);
            return _endpoints[organisationId] = rows.Select(r => new EndpointKinds(r.Id, r.EventKinds.Split(',').ToHashSet(StringComparer.Ordinal))).ToList();
        }
    }
}

/// <summary>
/// The body of every delivery, in the Standard Webhooks shape: <c>{"type", "timestamp", "data"}</c>; <c>data</c> carries the
/// organisation, the thing concerned and the event's own fields (snake_case).
/// </summary>
public static class WebhookPayload
{
    public const string TestKind = "webhook.test";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string NewMessageId() => "msg_" + Guid.CreateVersion7().ToString("N");

    public static string Serialize(PortalEvent e)
    {
        var data = new Dictionary<string, object?> { ["organisation_id"] = e.OrganisationId };
        if (e.ObjectType is not null) data["object_type"] = e.ObjectType;
        if (e.ObjectId is not null) data["object_id"] = e.ObjectId;
        if (e.ClassId is not null) data["class_id"] = e.ClassId;
        if (e.MemberId is not null) data["member_id"] = e.MemberId;
        foreach (var (key, value) in e.Data ?? new Dictionary<string, object?>()) data[key] = value;
        return JsonSerializer.Serialize(new { type = e.Kind, timestamp = e.OccurredAt.ToUniversalTime(), data }, Json);
    }
}
