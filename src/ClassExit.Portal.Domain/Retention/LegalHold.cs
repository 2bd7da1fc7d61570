namespace ClassExit.Portal.Domain.Retention;

/// <summary>A hold that stops retention purges for a class or a member.</summary>
public sealed class LegalHold : ITenantOwned
{
    private LegalHold() { }

    public LegalHold(long organisationId, long? classId, long? memberId, string reason, long placedByMemberId, DateTimeOffset placedAt, DateTimeOffset? endsAt)
    {
        if (classId is null && memberId is null) throw new ArgumentException("A hold names a class or a member.");
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        OrganisationId = organisationId;
        ClassId = classId;
        MemberId = memberId;
        Reason = reason;
        PlacedByMemberId = placedByMemberId;
        PlacedAt = placedAt;
        EndsAt = endsAt;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long? ClassId { get; private set; }
    public long? MemberId { get; private set; }
    public string Reason { get; private set; } = "";
    public long PlacedByMemberId { get; private set; }
    public DateTimeOffset PlacedAt { get; private set; }
    public DateTimeOffset? EndsAt { get; private set; }
    public DateTimeOffset? ReleasedAt { get; private set; }

    public bool IsActive(DateTimeOffset now) => ReleasedAt is null && (EndsAt is null || EndsAt > now);

    /// <summary><see cref="IsActive"/> as a query (the one definition of "an active legal hold").</summary>
    public static System.Linq.Expressions.Expression<Func<LegalHold, bool>> ActiveAt(DateTimeOffset now) =>
        h => h.ReleasedAt == null && (h.EndsAt == null || h.EndsAt > now);

    public void Release(DateTimeOffset at) => ReleasedAt ??= at;
}
