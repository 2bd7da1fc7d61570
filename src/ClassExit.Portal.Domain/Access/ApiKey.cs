using System.Security.Cryptography;
using System.Text;

namespace ClassExit.Portal.Domain.Access;

/// <summary>An organisation API key. Only a SHA-256 hash of the secret is stored; the secret is shown once.</summary>
public sealed class ApiKey : ITenantOwned
{
    private ApiKey() { }

    public ApiKey(long organisationId, string name, long ownerMemberId, string secret, DateTimeOffset createdAt)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(secret);
        OrganisationId = organisationId;
        Name = name;
        OwnerMemberId = ownerMemberId;
        KeyHash = Hash(secret);
        Prefix = secret.Length <= 6 ? secret : secret[..6];
        CreatedAt = createdAt;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public string Name { get; private set; } = "";
    public long OwnerMemberId { get; private set; }
    /// <summary>Hex SHA-256 of the secret; the lookup key.</summary>
    public string KeyHash { get; private set; } = "";
    /// <summary>First characters of the secret, to recognise a key in lists.</summary>
    public string Prefix { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? RevokedAt { get; private set; }
    public DateTimeOffset? LastUsedAt { get; private set; }

    public bool IsActive => RevokedAt is null;

    public void Revoke(DateTimeOffset now) => RevokedAt ??= now;

    public void MarkUsed(DateTimeOffset now) => LastUsedAt = now;

    /// <summary>API keys are long random secrets, so a plain SHA-256 (no slow KDF) is the right hash.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>A new random secret with a recognisable prefix.</summary>
    public static string NewSecret() => "cek_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(30)).Replace('+', '-').Replace('/', '_');
}
