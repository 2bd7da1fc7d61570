using System.Security.Cryptography;
using System.Text;

namespace ClassExit.Portal.Domain.Access;

/// <summary>An organisation API key. Only a SHA-256 hash of the secret is stored; the secret is shown once.</summary>
public sealed class ApiKey : ITenantOwned
{
    private ApiKey() { }

    public ApiKey(long organisationId, string name, long ownerMemberId, string secret, DateTimeOffset createdAt, IEnumerable<string>? scopes = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(secret);
        OrganisationId = organisationId;
        Name = name;
        OwnerMemberId = ownerMemberId;
        KeyHash = Hash(secret);
        Prefix = secret.Length <= 6 ? secret : secret[..6];
        CreatedAt = createdAt;
        Scopes = ApiScopes.Format(scopes ?? ApiScopes.All);
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
    /// <summary>The scopes the key was created with, space-separated (see <see cref="ApiScopes"/>); fixed for the key's life.</summary>
    public string Scopes { get; private set; } = ApiScopes.Format(ApiScopes.All);

    public bool HasScope(string scope) => ApiScopes.Parse(Scopes).Contains(scope);

    public bool IsActive => RevokedAt is null;

    public void Revoke(DateTimeOffset now) => RevokedAt ??= now;

    public void MarkUsed(DateTimeOffset now) => LastUsedAt = now;

    /// <summary>API keys are long random secrets, so a plain SHA-256 (no slow KDF) is the right hash.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>A new random secret with a recognisable prefix.</summary>
    public static string NewSecret() => "cek_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(30)).Replace('+', '-').Replace('/', '_');
}

/// <summary>
/// What an API key may do. A key carries the scopes it was created with; an endpoint names the scope it needs and a key
/// without it is refused with 40302.
/// </summary>
public static class ApiScopes
{
    /// <summary>A member leaves from a client: <c>POST /api/v1/classes/{id}/exits</c>.</summary>
    public const string ClientExits = "exits:client";
    /// <summary>HR bulk exits and the quota: <c>POST /api/v1/exits/batch</c>, <c>GET /api/v1/quota</c>.</summary>
    public const string BatchExits = "exits:batch";
    /// <summary>Reads: classes, members, exit requests, reason codes, who the key is.</summary>
    public const string Read = "read";
    /// <summary>Devices and their sync acknowledgements.</summary>
    public const string Devices = "devices";

    public static readonly IReadOnlyList<string> All = [ClientExits, BatchExits, Read, Devices];

    public static bool IsKnown(string scope) => All.Contains(scope);

    public static string Format(IEnumerable<string> scopes)
    {
        var list = scopes.Select(s => s.Trim()).Where(s => s.Length > 0).Distinct().ToList();
        if (list.Count == 0) throw new ArgumentException("A key needs at least one scope.", nameof(scopes));
        if (list.FirstOrDefault(s => !IsKnown(s)) is { } unknown) throw new ArgumentException($"Unknown scope '{unknown}'.", nameof(scopes));
        return string.Join(' ', All.Where(list.Contains));
    }

    public static IReadOnlySet<string> Parse(string? scopes) =>
        (scopes ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
}
