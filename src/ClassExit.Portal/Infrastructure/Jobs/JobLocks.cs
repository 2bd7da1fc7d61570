namespace ClassExit.Portal.Infrastructure.Jobs;

/// <summary>
/// The distributed locks of jobs that must not overlap, across every instance sharing the job storage (ADR 0002). Hangfire's
/// <c>[DisableConcurrentExecution(resource, timeout)]</c> takes the lock in the storage before the job runs: a second run waits up to
/// the timeout, then fails and is retried later. A recurring job already fires once per schedule across instances (its scheduler
/// holds a storage lock); these locks stop a run that lasts longer than its interval, a manual run, or a retry from overlapping it.
/// A lock held by a killed process expires with the storage's lock lifetime (SQLite: 30 s; SQL Server: with the session).
/// </summary>
public static class JobLocks
{
    public const string RetentionPurge = "classexit:retention-purge";
    public const string SyncCheck = "classexit:sync-check";
    public const string AuditVerification = "classexit:audit-verification";
    public const string AuditCheckpoint = "classexit:audit-checkpoint";
    /// <summary>One run per background batch at a time; <c>{0}</c> is the batch id (the job's first argument).</summary>
    public const string BatchRun = "classexit:batch-exit:{0}";
    public const string BatchResume = "classexit:batch-exit-resume";

    /// <summary>How long a run waits for the lock before it fails (and Hangfire retries it later).</summary>
    public const int WaitSeconds = 120;
}
