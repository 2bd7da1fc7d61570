namespace ClassExit.Portal.Domain.Retention;

public enum RetentionRunState
{
    Running = 0,
    Completed = 1,
    /// <summary>Cancelled or killed midway; what it deleted stays deleted and counted, the next run finishes the job.</summary>
    Interrupted = 2,
}

/// <summary>One purge run for one organisation: what it deleted, what holds kept, and a digest of the deleted ids (never content).</summary>
public sealed class RetentionRun : ITenantOwned
{
    private RetentionRun() { }

    public RetentionRun(long organisationId, DateTimeOffset startedAt, DateTimeOffset cutoff, string trigger, int due)
    {
        OrganisationId = organisationId;
        StartedAt = startedAt;
        Cutoff = cutoff;
        Trigger = trigger;
        DueAtStart = due;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public DateTimeOffset StartedAt { get; private set; }
    public DateTimeOffset? FinishedAt { get; private set; }
    /// <summary>Messages whose purge date is at or before this time are due.</summary>
    public DateTimeOffset Cutoff { get; private set; }
    public string Trigger { get; private set; } = "";
    public RetentionRunState State { get; private set; }
    public int DueAtStart { get; private set; }
    public int MessagesPurged { get; private set; }
    public int ReceiptsPurged { get; private set; }
    public int SkippedForHolds { get; private set; }
    public int Batches { get; private set; }
    public long LongestBatchMilliseconds { get; private set; }
    public DateTimeOffset? OldestPurgeAfter { get; private set; }
    public DateTimeOffset? NewestPurgeAfter { get; private set; }
    /// <summary>SHA-256 chained over the sorted ids of each batch: proves which rows went, without keeping them.</summary>
    public string IdsDigest { get; private set; } = "";

    public void RecordBatch(int messages, int receipts, long milliseconds, DateTimeOffset oldest, DateTimeOffset newest, string digest)
    {
        MessagesPurged += messages;
        ReceiptsPurged += receipts;
        Batches++;
        LongestBatchMilliseconds = Math.Max(LongestBatchMilliseconds, milliseconds);
        OldestPurgeAfter = OldestPurgeAfter is null || oldest < OldestPurgeAfter ? oldest : OldestPurgeAfter;
        NewestPurgeAfter = NewestPurgeAfter is null || newest > NewestPurgeAfter ? newest : NewestPurgeAfter;
        IdsDigest = digest;
    }

    public void Finish(DateTimeOffset now, int skippedForHolds)
    {
        SkippedForHolds = skippedForHolds;
        State = RetentionRunState.Completed;
        FinishedAt = now;
    }

    public void Interrupt(DateTimeOffset now)
    {
        if (State != RetentionRunState.Running) return;
        State = RetentionRunState.Interrupted;
        FinishedAt = now;
    }
}
