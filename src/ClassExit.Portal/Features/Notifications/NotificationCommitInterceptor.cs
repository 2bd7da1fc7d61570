using System.Data.Common;
using System.Runtime.CompilerServices;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ClassExit.Portal.Features.Notifications;

/// <summary>
/// After the transaction that staged notifications commits (and only then): the open circuits of their recipients are told, and the
/// e-mail sender is enqueued when e-mails were staged. A rollback tells nobody. The recurring sender catches anything missed here.
/// </summary>
public sealed class NotificationCommitInterceptor(NotificationNotifier notifier, IServiceProvider services) : DbTransactionInterceptor, ISaveChangesInterceptor
{
    private sealed class Staged
    {
        public readonly HashSet<string> Users = new(StringComparer.Ordinal);
        public bool Email;
    }

    private readonly ConditionalWeakTable<DbContext, Staged> _staged = new();

    /// <summary>Called by the sink: <paramref name="userId"/> gets a notification once <paramref name="db"/>'s change commits.</summary>
    public void Stage(DbContext db, string userId, bool email)
    {
        var staged = _staged.GetOrCreateValue(db);
        lock (staged)
        {
            staged.Users.Add(userId);
            staged.Email |= email;
        }
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } db && db.Database.CurrentTransaction is null) Flush(db);
        return ValueTask.FromResult(result);
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        if (eventData.Context is { } db && db.Database.CurrentTransaction is null) Flush(db);
        return result;
    }

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } db) Flush(db);
        return Task.CompletedTask;
    }

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData)
    {
        if (eventData.Context is { } db) Flush(db);
    }

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } db) _staged.Remove(db);
        return Task.CompletedTask;
    }

    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData)
    {
        if (eventData.Context is { } db) _staged.Remove(db);
    }

    private void Flush(DbContext db)
    {
        if (!_staged.TryGetValue(db, out var staged)) return;
        _staged.Remove(db);
        string[] users;
        bool email;
        lock (staged)
        {
            users = [.. staged.Users];
            email = staged.Email;
        }
        notifier.Publish(users);
        if (email)
        {
            try { services.GetService<IBackgroundJobClient>()?.Enqueue<EmailOutboxJob>(j => j.RunAsync(CancellationToken.None)); }
            catch (Exception) { /* no job storage here (tests, tools): the recurring sender picks the messages up */ }
        }
    }
}
