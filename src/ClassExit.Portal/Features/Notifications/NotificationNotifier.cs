using System.Collections.Concurrent;

namespace ClassExit.Portal.Features.Notifications;

/// <summary>
/// Tells open circuits of one account that its notifications changed, after the change committed. In-process: a circuit hears of
/// notifications staged on its own portal instance; on several instances a circuit elsewhere sees them at its next page load (or the
/// bell's next refresh). A Blazor Server circuit is bound to one instance anyway.
/// </summary>
public sealed class NotificationNotifier
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Guid, Func<Task>>> _subscribers = new(StringComparer.Ordinal);

    public IDisposable Subscribe(string userId, Func<Task> changed)
    {
        var id = Guid.NewGuid();
        _subscribers.GetOrAdd(userId, _ => new()).TryAdd(id, changed);
        return new Subscription(() =>
        {
            if (_subscribers.TryGetValue(userId, out var set)) set.TryRemove(id, out _);
        });
    }

    public void Publish(IEnumerable<string> userIds)
    {
        foreach (var user in userIds.Distinct(StringComparer.Ordinal))
            if (_subscribers.TryGetValue(user, out var set))
                foreach (var callback in set.Values)
                    _ = Run(callback);
    }

    private static async Task Run(Func<Task> callback)
    {
        try { await callback(); }
        catch (Exception) { /* a circuit that went away: nothing to tell */ }
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;
        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
