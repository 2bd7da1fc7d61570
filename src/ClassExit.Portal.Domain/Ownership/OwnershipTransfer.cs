namespace ClassExit.Portal.Domain.Ownership;

public enum TransferStatus
{
    Pending = 0,
    Accepted = 1,
    Declined = 2,
    Expired = 3,
    Cancelled = 4,
    /// <summary>Done by an enterprise admin without the new owner's acceptance.</summary>
    Forced = 5,
}

/// <summary>A proposal to hand a class to another teacher or class admin.</summary>
public sealed class OwnershipTransfer : ITenantOwned
{
    private OwnershipTransfer() { }

    public OwnershipTransfer(long organisationId, long classId, long fromMemberId, long toMemberId, long proposedByMemberId,
        DateTimeOffset createdAt, DateTimeOffset expiresAt, string? message, string? dutySelection)
    {
        OrganisationId = organisationId;
        ClassId = classId;
        FromMemberId = fromMemberId;
        ToMemberId = toMemberId;
        ProposedByMemberId = proposedByMemberId;
        CreatedAt = createdAt;
        ExpiresAt = expiresAt;
        Message = message;
        DutySelection = dutySelection;
        Status = TransferStatus.Pending;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long ClassId { get; private set; }
    public long FromMemberId { get; private set; }
    public long ToMemberId { get; private set; }
    public long ProposedByMemberId { get; private set; }
    public string? Message { get; private set; }
    /// <summary>Duties handed over with the class, as "kind:id" pairs separated by commas.</summary>
    public string? DutySelection { get; private set; }
    public TransferStatus Status { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset ExpiresAt { get; private set; }
    public DateTimeOffset? DecidedAt { get; private set; }
    public int Version { get; private set; }

    public bool IsPending => Status == TransferStatus.Pending;

    /// <summary>The duties chosen to go with the class.</summary>
    public IReadOnlyList<(Content.DutyKind Kind, long Id)> Duties => ParseDuties(DutySelection);

    public static string? FormatDuties(IEnumerable<(Content.DutyKind Kind, long Id)> duties)
    {
        var text = string.Join(",", duties.Select(d => $"{d.Kind}:{d.Id}"));
        return text.Length == 0 ? null : text;
    }

    public static IReadOnlyList<(Content.DutyKind Kind, long Id)> ParseDuties(string? selection) =>
        string.IsNullOrWhiteSpace(selection)
            ? []
            : selection.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(part => part.Split(':'))
                .Where(p => p.Length == 2 && Enum.TryParse<Content.DutyKind>(p[0], out _) && long.TryParse(p[1], out _))
                .Select(p => (Enum.Parse<Content.DutyKind>(p[0]), long.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture)))
                .ToList();

    public bool IsExpiredAt(DateTimeOffset now) => Status == TransferStatus.Pending && now >= ExpiresAt;

    public void Accept(DateTimeOffset now) => Decide(TransferStatus.Accepted, now);
    public void Decline(DateTimeOffset now) => Decide(TransferStatus.Declined, now);
    public void Cancel(DateTimeOffset now) => Decide(TransferStatus.Cancelled, now);
    public void Expire(DateTimeOffset now) => Decide(TransferStatus.Expired, now);

    public static OwnershipTransfer Forced(long organisationId, long classId, long fromMemberId, long toMemberId, long adminMemberId, DateTimeOffset now, string? message)
    {
        var t = new OwnershipTransfer(organisationId, classId, fromMemberId, toMemberId, adminMemberId, now, now, message, null);
        t.Decide(TransferStatus.Forced, now);
        return t;
    }

    private void Decide(TransferStatus status, DateTimeOffset now)
    {
        if (Status != TransferStatus.Pending) throw new InvalidOperationException($"Transfer {Id} is already {Status}.");
        Status = status;
        DecidedAt = now;
        Version++;
    }
}
