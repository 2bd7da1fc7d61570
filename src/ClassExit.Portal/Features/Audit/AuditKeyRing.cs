using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Infrastructure;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Features.Audit;

/// <summary>The <c>Audit</c> configuration section (README "Audit settings", ADR 0010).</summary>
public sealed class AuditOptions
{
    public const string SectionName = "Audit";

    /// <summary>Audit keys given in configuration (a secret store, environment variables): id and base64 key of ≥ 32 bytes.</summary>
    public List<AuditKeyOption> Keys { get; set; } = [];

    /// <summary>The key new entries are sealed with; the others stay for verification (rotation). Default: the key file's current key.</summary>
    public string? CurrentKeyId { get; set; }

    /// <summary>A JSON key file (<c>{"currentKeyId":…, "keys":[{"id":…, "key":…}]}</c>); default <c>KeyDirectory/audit-keys.json</c>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>Where generated keys go: outside the database directory, never in git. Relative paths are under the content root.</summary>
    public string KeyDirectory { get; set; } = "App_Keys";

    /// <summary>The ECDSA P-256 key (PKCS#8 PEM) that signs checkpoints; default <c>KeyDirectory/audit-checkpoint-signing.pem</c>.</summary>
    public string? SigningKeyFile { get; set; }

    /// <summary>Generate missing keys at first start. Null: only in demo mode or the Development environment.</summary>
    public bool? GenerateKeys { get; set; }

    /// <summary>The append-only JSON-lines file of signed checkpoints, outside the database directory.</summary>
    public string CheckpointFile { get; set; } = "App_Audit/audit-checkpoints.jsonl";

    /// <summary>Where each checkpoint is also POSTed (JSON), best effort. Empty: nowhere.</summary>
    public string? CheckpointWebhookUrl { get; set; }

    public string CheckpointCron { get; set; } = "*/15 * * * *";

    public string VerifyCron { get; set; } = "17 * * * *";

    /// <summary>
    /// The incremental verification re-walks the older entries of each chain in this many slices, one per run: with the hourly
    /// <see cref="VerifyCron"/>, every entry is verified again at least once a day (ADR 0010).
    /// </summary>
    public int SweepRuns { get; set; } = 24;

    /// <summary>
    /// When keyed sealing began, if the key file does not say (its oldest key's <c>createdAt</c>): unkeyed entries dated from then
    /// on are reported as forged.
    /// </summary>
    public DateTimeOffset? LegacyUntil { get; set; }
}

public sealed class AuditKeyOption
{
    public string Id { get; set; } = "";
    public string Key { get; set; } = "";
}

/// <summary>
/// The portal's audit keys: HMAC keys from configuration and/or the key file, and the checkpoint signing key. Loaded once, at
/// first use; in demo mode or Development, missing keys are generated (file mode 600) and their location logged. Elsewhere a
/// missing key stops the portal: entries cannot be sealed without one.
/// </summary>
public sealed class AuditKeyRing(IOptions<AuditOptions> options, ILogger<AuditKeyRing> logger, IConfiguration configuration, IHostEnvironment? environment = null)
    : IAuditKeyRing, IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly Lock _lock = new();
    private AuditKeys? _keys;
    private ECDsa? _signing;

    public AuditKey Current => Keys.Current;

    public AuditKey? Find(string keyId) => Keys.Find(keyId);

    public DateTimeOffset? LegacyUntil => Keys.LegacyUntil;

    public AuditKeys Keys
    {
        get
        {
            if (_keys is { } loaded) return loaded;
            lock (_lock) return _keys ??= LoadKeys();
        }
    }

    /// <summary>The checkpoint signing key (private; never leaves this class but as signatures).</summary>
    private ECDsa Signing
    {
        get
        {
            if (_signing is { } loaded) return loaded;
            lock (_lock) return _signing ??= LoadSigningKey();
        }
    }

    /// <summary>Loads (or, in demo mode / Development, generates) the keys now: a portal without them stops at start, not at its first write.</summary>
    public void EnsureLoaded()
    {
        _ = Keys;
        _ = Signing;
    }

    public string PublicKeyPem => Signing.ExportSubjectPublicKeyInfoPem();

    /// <summary>The first 16 hex characters of the SHA-256 of the public key (SPKI): names the key a checkpoint was signed with.</summary>
    public string SigningKeyId => Convert.ToHexStringLower(SHA256.HashData(Signing.ExportSubjectPublicKeyInfo()))[..16];

    /// <summary>DER-encoded (RFC 3279) signatures, as OpenSSL and most tools read them.</summary>
    public byte[] Sign(byte[] data) => Signing.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    public bool VerifySignature(byte[] data, byte[] signature) => Signing.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    public string ResolvePath(string path) =>
        Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(environment?.ContentRootPath ?? Directory.GetCurrentDirectory(), path));

    private bool MayGenerate => options.Value.GenerateKeys ?? (DemoOptions.IsOn(configuration) || environment?.IsDevelopment() == true);

    private string KeyFilePath => ResolvePath(options.Value.KeyFile ?? Path.Combine(options.Value.KeyDirectory, "audit-keys.json"));

    private AuditKeys LoadKeys()
    {
        var o = options.Value;
        var keys = new List<AuditKey>();
        foreach (var k in o.Keys)
        {
            if (!TryBase64(k.Key, out var secret)) throw new InvalidOperationException($"Audit:Keys '{k.Id}': the key is not base64.");
            keys.Add(new AuditKey(k.Id, secret));
        }
        string? fileCurrent = null;
        DateTimeOffset? created = null;
        var path = KeyFilePath;
        var explicitFile = o.KeyFile is not null;
        if (!File.Exists(path) && keys.Count == 0 && MayGenerate) Generate(path);
        if (File.Exists(path))
        {
            var file = JsonSerializer.Deserialize<KeyFile>(File.ReadAllText(path), Json)
                ?? throw new InvalidOperationException($"The audit key file {path} is empty.");
            foreach (var k in file.Keys)
            {
                if (!TryBase64(k.Key, out var secret)) throw new InvalidOperationException($"Audit key file {path}, key '{k.Id}': the key is not base64.");
                keys.Add(new AuditKey(k.Id, secret));
                if (k.CreatedAt is { } at && (created is null || at < created)) created = at;
            }
            fileCurrent = file.CurrentKeyId;
            logger.LogInformation("Audit keys read from {Path}", path);
        }
        else if (explicitFile)
        {
            throw new InvalidOperationException($"Audit:KeyFile {path} does not exist.");
        }
        var current = o.CurrentKeyId ?? fileCurrent ?? (keys.Count == 1 ? keys[0].Id : null);
        if (keys.Count == 0 || current is null)
            throw new InvalidOperationException(
                "No audit key: set Audit:Keys (id and base64 key of 32 bytes) with Audit:CurrentKeyId, or Audit:KeyFile. Audit entries are sealed with it when written.");
        return new AuditKeys(current, keys, o.LegacyUntil ?? created);
    }

    private void Generate(string path)
    {
        var id = "k" + DateTime.UtcNow.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var key = AuditKeys.NewKey(id);
        var file = new KeyFile(id, [new KeyFileEntry(id, Convert.ToBase64String(key.Secret), DateTimeOffset.UtcNow)]);
        if (WriteNew(path, JsonSerializer.Serialize(file, Json)))
            logger.LogWarning("Generated a new audit key {KeyId} at {Path} (mode 600). Keep it apart from the database and back it up: entries sealed with it can only be verified with it.", id, path);
    }

    private ECDsa LoadSigningKey()
    {
        var path = ResolvePath(options.Value.SigningKeyFile ?? Path.Combine(options.Value.KeyDirectory, "audit-checkpoint-signing.pem"));
        if (!File.Exists(path))
        {
            if (!MayGenerate) throw new InvalidOperationException($"No checkpoint signing key at {path}: create an ECDSA P-256 key (PKCS#8 PEM) there or set Audit:SigningKeyFile.");
            using var generated = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            if (WriteNew(path, generated.ExportPkcs8PrivateKeyPem()))
                logger.LogWarning("Generated a new audit checkpoint signing key at {Path} (mode 600)", path);
        }
        var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(File.ReadAllText(path));
        if (ecdsa.KeySize != 256) throw new InvalidOperationException($"The checkpoint signing key at {path} must be ECDSA P-256.");
        return ecdsa;
    }

    /// <summary>
    /// Creates the file with mode 600, written whole under a temporary name and then renamed (another process never reads half a
    /// key); false when another process created it first (its file is then used).
    /// </summary>
    private static bool WriteNew(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp-" + Guid.NewGuid().ToString("N");
        var streamOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) streamOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temporary, streamOptions))
        using (var writer = new StreamWriter(stream))
            writer.Write(content);
        try
        {
            File.Move(temporary, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
            return false;
        }
    }

    private static bool TryBase64(string value, out byte[] bytes)
    {
        bytes = new byte[value.Length];
        if (Convert.TryFromBase64String(value, bytes, out var n))
        {
            bytes = bytes[..n];
            return true;
        }
        return false;
    }

    public void Dispose() => _signing?.Dispose();

    private sealed record KeyFile(string CurrentKeyId, List<KeyFileEntry> Keys);

    private sealed record KeyFileEntry(string Id, string Key, [property: JsonPropertyName("createdAt")] DateTimeOffset? CreatedAt);
}
