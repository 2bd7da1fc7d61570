using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ClassExit.Portal.Domain.Audit;

/// <summary>The last sealed link of an organisation's audit chain (organisation 0: entries without one, e.g. unknown sign-ins).</summary>
public sealed class AuditChainHead
{
    private AuditChainHead() { }

    public AuditChainHead(long organisationId) => OrganisationId = organisationId;

    public long OrganisationId { get; private set; }
    public long LastSequence { get; private set; }
    public long LastEntryId { get; private set; }
    public string? LastHash { get; private set; }
    public DateTimeOffset? SealedAt { get; private set; }

    public void Advance(long sequence, long entryId, string hash, DateTimeOffset now)
    {
        if (sequence != LastSequence + 1) throw new InvalidOperationException("The chain grows one link at a time.");
        LastSequence = sequence;
        LastEntryId = entryId;
        LastHash = hash;
        SealedAt = now;
    }
}

/// <summary>The canonical form and SHA-256 of an audit entry: every field, its position and its predecessor's hash.</summary>
public static class AuditHash
{
    public static string Compute(AuditEntry e, long sequence, string? previousHash)
    {
        var fields = new[]
        {
            e.Id.ToString(CultureInfo.InvariantCulture), (e.OrganisationId ?? 0).ToString(CultureInfo.InvariantCulture),
            sequence.ToString(CultureInfo.InvariantCulture), e.OccurredAt.UtcTicks.ToString(CultureInfo.InvariantCulture), e.Action,
            ((int)e.Outcome).ToString(CultureInfo.InvariantCulture), e.Code?.ToString(CultureInfo.InvariantCulture) ?? "", e.ActorUserId ?? "",
            e.ActorMemberId?.ToString(CultureInfo.InvariantCulture) ?? "", e.ActorName ?? "", e.TargetType ?? "", e.TargetId ?? "",
            e.ClassId?.ToString(CultureInfo.InvariantCulture) ?? "", e.MemberId?.ToString(CultureInfo.InvariantCulture) ?? "", e.CorrelationId,
            e.IsSecurityEvent ? "1" : "0", e.Details ?? "", previousHash ?? "",
        };
        // Length-prefixed fields: no value can be shifted into its neighbour.
        var canonical = string.Concat(fields.Select(f => f.Length.ToString(CultureInfo.InvariantCulture) + ":" + f + ";"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }
}

public enum ChainBreak
{
    Edited,
    Deleted,
    Reordered,
    Inserted,
}

/// <summary>The first broken link found, or none.</summary>
public sealed record ChainVerification(long OrganisationId, long EntriesChecked, ChainBreak? Break, long? EntryId, long? Sequence, string? Detail)
{
    public bool Intact => Break is null;
}
