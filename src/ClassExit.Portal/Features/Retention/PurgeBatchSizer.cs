namespace ClassExit.Portal.Features.Retention;

/// <summary>
/// Sizes the retention purge's batches by what they cost: each batch's write transaction should hold the database's write lock
/// for about <c>target</c> (SQLite has one writer: every other write waits meanwhile), and no DELETE statement should touch more
/// than <see cref="MaxRowsPerStatement"/> rows (SQL Server escalates to a table lock at 5,000 row locks on one table). Starts small,
/// at most doubles per batch, and shrinks as soon as a batch took longer than the target or its messages carried many read receipts.
/// </summary>
public sealed class PurgeBatchSizer
{
    /// <summary>Rows one DELETE may touch: under SQL Server's lock-escalation threshold of 5,000 locks.</summary>
    public const int MaxRowsPerStatement = 4000;

    public const int FirstBatch = 500;

    private readonly int _maxMessages;
    private readonly TimeSpan _target;

    public PurgeBatchSizer(int maxMessages, TimeSpan target)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(target, TimeSpan.Zero);
        _maxMessages = Math.Min(maxMessages, MaxRowsPerStatement);
        _target = target;
        Next = Math.Min(_maxMessages, FirstBatch);
    }

    /// <summary>Messages to read for the next batch.</summary>
    public int Next { get; private set; }

    /// <summary>Feeds back one committed batch: its messages, their receipts and how long the write transaction held the lock.</summary>
    public void Observe(int messages, int receipts, TimeSpan held)
    {
        if (messages <= 0) return;
        var byTime = held <= TimeSpan.Zero ? 2.0 * Next : messages * (_target / held);
        var byLocks = receipts <= messages ? _maxMessages : (double)MaxRowsPerStatement * messages / receipts;
        var next = Math.Min(Math.Min(byTime, 2.0 * Next), byLocks);
        Next = (int)Math.Clamp(Math.Floor(next), 1, _maxMessages);
    }
}
