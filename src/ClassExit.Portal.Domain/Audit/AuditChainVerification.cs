namespace ClassExit.Portal.Domain.Audit;

/// <summary>
/// Where the recurring verification of one chain stands (ADR 0010, "incremental verification"): the last entry it verified as
/// part of an intact chain (<see cref="VerifiedSequence"/> and that entry's MAC, so the next run starts there and finds a rewind,
/// a replaced or a vanished entry at that position), and the rolling sweep that walks the older entries again, a slice per run,
/// so that the whole chain is re-verified every <c>Audit:SweepRuns</c> runs. Only an optimisation of where to start: every run
/// checks the stored position against the entry it names, and against the newest signed checkpoint.
/// </summary>
public sealed class AuditChainVerification
{
    private AuditChainVerification() { }

    public AuditChainVerification(long organisationId) => OrganisationId = organisationId;

    public long OrganisationId { get; private set; }

    /// <summary>The sequence of the newest entry verified (0: nothing yet, an empty chain).</summary>
    public long VerifiedSequence { get; private set; }

    public long? VerifiedEntryId { get; private set; }

    /// <summary>The MAC of the entry at <see cref="VerifiedSequence"/> when it was verified.</summary>
    public string? VerifiedHash { get; private set; }

    public DateTimeOffset? VerifiedAt { get; private set; }

    /// <summary>The rolling sweep has re-verified entries 1 … <see cref="SweepSequence"/> in its current cycle (0: a new cycle).</summary>
    public long SweepSequence { get; private set; }

    /// <summary>When the current sweep cycle began.</summary>
    public DateTimeOffset? SweepStartedAt { get; private set; }

    /// <summary>When a sweep cycle (or a full walk) last covered the whole chain.</summary>
    public DateTimeOffset? SweptAt { get; private set; }

    /// <summary>The chain was verified intact up to <paramref name="sequence"/>.</summary>
    public void Verified(long sequence, long? entryId, string? hash, DateTimeOffset at)
    {
        VerifiedSequence = sequence;
        VerifiedEntryId = entryId;
        VerifiedHash = hash;
        VerifiedAt = at;
    }

    /// <summary>The sweep re-verified entries up to <paramref name="sequence"/>; <paramref name="complete"/> ends the cycle.</summary>
    public void Swept(long sequence, bool complete, DateTimeOffset at)
    {
        if (SweepSequence == 0) SweepStartedAt = at;
        if (complete)
        {
            SweepSequence = 0;
            SweptAt = at;
        }
        else SweepSequence = sequence;
    }

    /// <summary>A full walk verified the whole chain: the sweep starts a new cycle.</summary>
    public void FullyVerified(DateTimeOffset at)
    {
        SweepSequence = 0;
        SweepStartedAt = null;
        SweptAt = at;
    }
}
