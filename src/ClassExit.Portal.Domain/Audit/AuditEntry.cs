namespace ClassExit.Portal.Domain.Audit;

public enum AuditOutcome
{
    Succeeded = 0,
    Refused = 1,
    Failed = 2,
}

/// <summary>Who did what to whom, when, and how it ended. Written in the same transaction as the change.</summary>
public sealed class AuditEntry
{
    private AuditEntry() { }

    public AuditEntry(long? organisationId, DateTimeOffset occurredAt, string action, AuditOutcome outcome, string? actorUserId,
        long? actorMemberId, string? actorName, string? targetType, string? targetId, string correlationId,
        long? classId = null, long? memberId = null, int? code = null, bool isSecurityEvent = false, string? details = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        OrganisationId = organisationId;
        OccurredAt = occurredAt;
        Action = action;
        Outcome = outcome;
        ActorUserId = actorUserId;
        ActorMemberId = actorMemberId;
        ActorName = actorName;
        TargetType = targetType;
        TargetId = targetId;
        CorrelationId = correlationId;
        ClassId = classId;
        MemberId = memberId;
        Code = code;
        IsSecurityEvent = isSecurityEvent;
        Details = details;
    }

    public long Id { get; private set; }
    /// <summary>Null only for events before a tenant is known (e.g. a sign-in with an unknown e-mail).</summary>
    public long? OrganisationId { get; private set; }
    public DateTimeOffset OccurredAt { get; private set; }
    /// <summary>Stable dotted action name, e.g. <c>exit.completed</c>.</summary>
    public string Action { get; private set; } = "";
    public AuditOutcome Outcome { get; private set; }
    public int? Code { get; private set; }
    public string? ActorUserId { get; private set; }
    public long? ActorMemberId { get; private set; }
    public string? ActorName { get; private set; }
    public string? TargetType { get; private set; }
    public string? TargetId { get; private set; }
    public long? ClassId { get; private set; }
    public long? MemberId { get; private set; }
    public string CorrelationId { get; private set; } = "";
    public bool IsSecurityEvent { get; private set; }
    /// <summary>JSON with before/after values or other context; never deleted content.</summary>
    public string? Details { get; private set; }
    /// <summary>Position in the organisation's chain (1, 2, 3 …); set by the transaction that writes the entry.</summary>
    public long? Sequence { get; private set; }
    /// <summary>Chain (per organisation): the previous entry's MAC.</summary>
    public string? PreviousHash { get; private set; }
    /// <summary>
    /// Chain: HMAC-SHA256 over this entry's canonical form under the key <see cref="KeyId"/> (<see cref="AuditMac"/>); entries
    /// sealed before keys existed carry a plain SHA-256 (<see cref="AuditHash"/>) and no key id.
    /// </summary>
    public string? Hash { get; private set; }
    /// <summary>The id of the audit key <see cref="Hash"/> was made with; null for a legacy (SHA-256) entry.</summary>
    public string? KeyId { get; private set; }

    /// <summary>Links the entry into its chain: position, predecessor's MAC, its own MAC and the key id that made it.</summary>
    public void Seal(long sequence, string? previousHash, string hash, string? keyId)
    {
        Sequence = sequence;
        PreviousHash = previousHash;
        Hash = hash;
        KeyId = keyId;
    }
}
