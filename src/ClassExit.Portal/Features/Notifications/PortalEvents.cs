using ClassExit.Portal.Data;

namespace ClassExit.Portal.Features.Notifications;

/// <summary>
/// Something happened that people or systems are told about (kind from <see cref="Domain.Notifications.EventKinds"/>).
/// <paramref name="ObjectType"/> / <paramref name="ObjectId"/> name the thing concerned (e.g. "ExitRequest", "79") so that a
/// notification can link to it; <paramref name="Data"/> is the event's payload (snake_case keys, JSON-serialisable values).
/// </summary>
public sealed record PortalEvent(
    long OrganisationId,
    string Kind,
    DateTimeOffset OccurredAt,
    string? ObjectType = null,
    string? ObjectId = null,
    long? ClassId = null,
    long? MemberId = null,
    IReadOnlyDictionary<string, object?>? Data = null);

/// <summary>
/// Receives events inside the transaction that carries the change: a sink only adds rows to <paramref name="db"/> (an outbox,
/// notification rows, webhook deliveries), so a rolled-back change stages nothing and a committed one loses nothing.
/// Delivery happens later, from those rows, in jobs.
/// </summary>
public interface IPortalEventSink
{
    Task StageAsync(PortalDbContext db, PortalEvent e, CancellationToken ct = default);
}

/// <summary>Raises an event to every registered sink, in the caller's context (call before its SaveChanges).</summary>
public sealed class PortalEvents(IEnumerable<IPortalEventSink> sinks)
{
    public async Task RaiseAsync(PortalDbContext db, PortalEvent e, CancellationToken ct = default)
    {
        foreach (var sink in sinks)
            await sink.StageAsync(db, e, ct);
    }
}
