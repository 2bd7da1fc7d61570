using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ClassExit.Portal.Domain.Audit;

/// <summary>A secret audit key: the database never holds it, only its <see cref="Id"/> beside each entry it MACed.</summary>
public sealed record AuditKey(string Id, byte[] Secret)
{
    /// <summary>Key ids are short and plain: they go into every entry and every checkpoint.</summary>
    public static bool IsValidId(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 32 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}

/// <summary>The audit keys this portal holds: the current one seals new entries, every one verifies.</summary>
public interface IAuditKeyRing
{
    AuditKey Current { get; }

    AuditKey? Find(string keyId);

    /// <summary>
    /// When keyed sealing began (the oldest key's creation, or <c>Audit:LegacyUntil</c>): an unkeyed (SHA-256) entry dated at or
    /// after it cannot be genuine. Null: unknown, and only checkpoints catch a chain recomputed without the key.
    /// </summary>
    DateTimeOffset? LegacyUntil => null;
}

/// <summary>A fixed set of audit keys (loaded from configuration or a key file by the host; made up by tests).</summary>
public sealed class AuditKeys : IAuditKeyRing
{
    private readonly Dictionary<string, AuditKey> _keys;

    public AuditKeys(string currentKeyId, IEnumerable<AuditKey> keys, DateTimeOffset? legacyUntil = null)
    {
        LegacyUntil = legacyUntil;
        _keys = new Dictionary<string, AuditKey>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (!AuditKey.IsValidId(key.Id)) throw new ArgumentException($"Audit key id '{key.Id}' must be 1–32 letters, digits, '-', '_' or '.'.", nameof(keys));
            if (key.Secret.Length < 32) throw new ArgumentException($"Audit key '{key.Id}' must be at least 32 bytes (256 bits).", nameof(keys));
            if (!_keys.TryAdd(key.Id, key)) throw new ArgumentException($"Audit key id '{key.Id}' appears twice.", nameof(keys));
        }
        Current = _keys.GetValueOrDefault(currentKeyId)
            ?? throw new ArgumentException($"The current audit key '{currentKeyId}' is not among the keys.", nameof(currentKeyId));
    }

    public AuditKey Current { get; }

    public DateTimeOffset? LegacyUntil { get; }

    public IReadOnlyCollection<AuditKey> All => _keys.Values;

    public AuditKey? Find(string keyId) => _keys.GetValueOrDefault(keyId);

    /// <summary>One new random 256-bit key.</summary>
    public static AuditKey NewKey(string id) => new(id, RandomNumberGenerator.GetBytes(32));
}

/// <summary>
/// The legacy canonical form and SHA-256 of an audit entry (entries sealed before audit keys existed): every field, its id, its
/// position and its predecessor's hash. Anyone can recompute it, which is why new entries carry an <see cref="AuditMac"/>.
/// </summary>
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

/// <summary>
/// The keyed seal of an audit entry: HMAC-SHA256, under a key the database does not hold, over the canonical form v1 —
/// <c>classexit-audit-v1;</c> then, for each field in this order, its UTF-8 byte length (or <c>-</c> for null), <c>:</c>, the
/// bytes and <c>;</c>: organisation (0 for none), sequence, occurred-at UTC ticks, action, outcome (number), code, actor user id,
/// actor member id, actor name, target type, target id, class id, member id, correlation id, security flag (0/1), details,
/// key id, previous MAC. Numbers are invariant decimal. The row id is not part of it (it is only known after the insert): the
/// position is the sequence. Lower-case hex, 64 characters.
/// </summary>
public static class AuditMac
{
    private static ReadOnlySpan<byte> Prefix => "classexit-audit-v1;"u8;

    public static string Compute(AuditKey key, AuditEntry e, long sequence, string? previousMac)
    {
        using var calculator = new AuditMacCalculator();
        return calculator.Compute(key, e, sequence, previousMac);
    }

    /// <summary>The canonical bytes (for tests and for anyone re-implementing the check outside the portal).</summary>
    public static byte[] Canonical(AuditEntry e, long sequence, string? keyId, string? previousMac)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        Write(buffer, e, sequence, keyId, previousMac);
        return buffer.WrittenSpan.ToArray();
    }

    internal static void Write(ArrayBufferWriter<byte> w, AuditEntry e, long sequence, string? keyId, string? previousMac)
    {
        w.Write(Prefix);
        Number(w, e.OrganisationId ?? 0);
        Number(w, sequence);
        Number(w, e.OccurredAt.UtcTicks);
        Text(w, e.Action);
        Number(w, (int)e.Outcome);
        Number(w, e.Code);
        Text(w, e.ActorUserId);
        Number(w, e.ActorMemberId);
        Text(w, e.ActorName);
        Text(w, e.TargetType);
        Text(w, e.TargetId);
        Number(w, e.ClassId);
        Number(w, e.MemberId);
        Text(w, e.CorrelationId);
        Number(w, e.IsSecurityEvent ? 1 : 0);
        Text(w, e.Details);
        Text(w, keyId);
        Text(w, previousMac);
    }

    private static void Number(ArrayBufferWriter<byte> w, long? value)
    {
        if (value is null)
        {
            w.Write("-:;"u8);
            return;
        }
        Span<byte> digits = stackalloc byte[24];
        Utf8Formatter.TryFormat(value.Value, digits, out var n);
        Length(w, n);
        w.Write(digits[..n]);
        w.Write(";"u8);
    }

    private static void Text(ArrayBufferWriter<byte> w, string? value)
    {
        if (value is null)
        {
            w.Write("-:;"u8);
            return;
        }
        var n = Encoding.UTF8.GetByteCount(value);
        Length(w, n);
        var span = w.GetSpan(n);
        Encoding.UTF8.GetBytes(value, span);
        w.Advance(n);
        w.Write(";"u8);
    }

    private static void Length(ArrayBufferWriter<byte> w, int n)
    {
        Span<byte> digits = stackalloc byte[12];
        Utf8Formatter.TryFormat(n, digits, out var written);
        w.Write(digits[..written]);
        w.Write(":"u8);
    }
}

/// <summary>Computes and checks MACs without allocating per entry (one HMAC instance per key, one buffer): for sealing and verifying.</summary>
public sealed class AuditMacCalculator : IDisposable
{
    private readonly Dictionary<string, IncrementalHash> _hmacs = new(StringComparer.Ordinal);
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);

    public string Compute(AuditKey key, AuditEntry e, long sequence, string? previousMac)
    {
        Span<byte> mac = stackalloc byte[32];
        Mac(key, e, sequence, previousMac, mac);
        return Convert.ToHexStringLower(mac);
    }

    /// <summary>Whether <paramref name="stored"/> is the MAC of the entry under <paramref name="key"/> (constant time).</summary>
    public bool Matches(AuditKey key, AuditEntry e, long sequence, string? previousMac, string? stored)
    {
        if (stored is not { Length: 64 }) return false;
        Span<byte> mac = stackalloc byte[32];
        Mac(key, e, sequence, previousMac, mac);
        Span<byte> expected = stackalloc byte[32];
        if (Convert.FromHexString(stored, expected, out _, out var written) != OperationStatus.Done || written != 32) return false;
        return CryptographicOperations.FixedTimeEquals(mac, expected);
    }

    private void Mac(AuditKey key, AuditEntry e, long sequence, string? previousMac, Span<byte> destination)
    {
        if (!_hmacs.TryGetValue(key.Id, out var hmac))
            _hmacs[key.Id] = hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key.Secret);
        _buffer.ResetWrittenCount();
        AuditMac.Write(_buffer, e, sequence, key.Id, previousMac);
        hmac.AppendData(_buffer.WrittenSpan);
        hmac.GetHashAndReset(destination);
    }

    public void Dispose()
    {
        foreach (var h in _hmacs.Values) h.Dispose();
        _hmacs.Clear();
    }
}

/// <summary>
/// A chain's head as it stood at <see cref="At"/>, kept outside the database (checkpoint file, admins' downloads, webhook): a chain
/// later found shorter than <see cref="Sequence"/>, or with another MAC there, was truncated or rewritten.
/// </summary>
public sealed record AuditCheckpoint(long OrganisationId, long Sequence, string? HeadMac, string? KeyId, DateTimeOffset At)
{
    /// <summary>The exact text a checkpoint signature covers (UTF-8).</summary>
    public string Payload() => string.Join('|', "classexit-audit-checkpoint-v1", OrganisationId.ToString(CultureInfo.InvariantCulture),
        Sequence.ToString(CultureInfo.InvariantCulture), HeadMac ?? "", KeyId ?? "",
        At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture));
}

public enum ChainBreak
{
    /// <summary>An entry's fields no longer match its MAC (edited, or forged by someone without the key).</summary>
    Edited,
    /// <summary>Sequences are missing, or the head is ahead of the last entry.</summary>
    Deleted,
    /// <summary>An entry's link to its predecessor does not match.</summary>
    Reordered,
    /// <summary>A sequence appears twice, or entries lie beyond the head.</summary>
    Inserted,
    /// <summary>An entry that no sealing transaction wrote (no sequence or MAC).</summary>
    Unsealed,
    /// <summary>A MAC this portal cannot have made: an unknown key id, or an unkeyed (legacy) entry after keyed ones.</summary>
    Forged,
    /// <summary>The chain is shorter than, or differs at, the last checkpoint kept outside the database (truncated, rewound, rewritten).</summary>
    Truncated,
}

/// <summary>The first broken link found, or none. <see cref="Checkpoint"/>: the anchor the chain was checked against, if any.</summary>
public sealed record ChainVerification(long OrganisationId, long EntriesChecked, ChainBreak? Break, long? EntryId, long? Sequence, string? Detail,
    AuditCheckpoint? Checkpoint = null)
{
    public bool Intact => Break is null;
}
