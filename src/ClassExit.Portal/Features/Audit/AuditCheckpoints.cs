using ClassExit.Portal.Infrastructure.Jobs;
using Hangfire;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Features.Audit;

/// <summary>
/// One signed checkpoint, as a line of the checkpoint file, a download and a webhook body. <c>signature</c>: base64 of the DER
/// ECDSA P-256 / SHA-256 signature of <see cref="AuditCheckpoint.Payload"/> (checkable with <c>openssl dgst -sha256 -verify</c>);
/// <c>signing_key</c>: the first 16 hex characters of the SHA-256 of the public key.
/// </summary>
public sealed record SignedCheckpoint(
    [property: JsonPropertyName("organisation_id")] long OrganisationId,
    [property: JsonPropertyName("sequence")] long Sequence,
    [property: JsonPropertyName("head_mac")] string? HeadMac,
    [property: JsonPropertyName("key_id")] string? KeyId,
    [property: JsonPropertyName("at")] DateTimeOffset At,
    [property: JsonPropertyName("signing_key")] string SigningKey,
    [property: JsonPropertyName("signature")] string Signature)
{
    [JsonIgnore]
    public AuditCheckpoint Checkpoint => new(OrganisationId, Sequence, HeadMac, KeyId, At);

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static SignedCheckpoint? Parse(string line)
    {
        try
        {
            return JsonSerializer.Deserialize<SignedCheckpoint>(line, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// Checkpoints of every audit chain that leave the database: appended (signed with the ECDSA P-256 key beside the audit keys) to
/// an append-only JSON-lines file outside the database directory, optionally POSTed to a webhook, and offered to admins as a
/// download. Verification reads the newest valid checkpoint of a chain as its anchor: a chain found shorter than it, or with
/// another MAC at its sequence, was truncated, rewound or rewritten. Several portal processes may append to the same file
/// (one write per line, O_APPEND); each reads only what was added since it last looked.
/// </summary>
public sealed class AuditCheckpoints(IDbContextFactory<PortalDbContext> factory, AuditKeyRing keys, IOptions<AuditOptions> options,
    IHttpClientFactory httpClients, TimeProvider clock, ILogger<AuditCheckpoints> logger)
{
    public const string JobId = "audit-checkpoint";
    public const string WebhookClient = "audit-checkpoint-webhook";
    private readonly SemaphoreSlim _file = new(1, 1);
    private readonly Dictionary<long, SignedCheckpoint> _latest = [];
    private long _readOffset;
    private int _invalidLines;

    public string FilePath => keys.ResolvePath(options.Value.CheckpointFile);

    /// <summary>The recurring job: a checkpoint of every chain whose head moved since its last one (organisation 0 included).</summary>
    [DisableConcurrentExecution(JobLocks.AuditCheckpoint, JobLocks.WaitSeconds)]
    public async Task RunAsync(CancellationToken ct)
    {
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var heads = await db.AuditChainHeads.AsNoTracking().Where(h => h.LastSequence > 0).OrderBy(h => h.OrganisationId).ToListAsync(ct);
        var written = 0;
        foreach (var head in heads)
        {
            var previous = await LatestAsync(head.OrganisationId, ct);
            if (previous is not null && previous.Sequence == head.LastSequence && previous.HeadMac == head.LastHash) continue;
            if (await CheckpointAsync(head.OrganisationId, ct) is not null) written++;
        }
        logger.LogInformation("Audit checkpoints written for {Count} of {Chains} chains to {Path}", written, heads.Count, FilePath);
    }

    /// <summary>
    /// Writes (and sends) a checkpoint of one chain as its head stands now, if the head still agrees with the previous checkpoint:
    /// a rewound or rewritten chain gets no new anchor (it would hide the break); null then, and the break is logged.
    /// </summary>
    public async Task<SignedCheckpoint?> CheckpointAsync(long organisationId, CancellationToken ct)
    {
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var head = await db.AuditChainHeads.AsNoTracking().SingleOrDefaultAsync(h => h.OrganisationId == organisationId, ct);
        var sequence = head?.LastSequence ?? 0;
        var previous = await LatestAsync(organisationId, ct);
        if (previous is not null)
        {
            var atPrevious = previous.Sequence <= sequence ? await Chain(db, organisationId).Where(a => a.Sequence == previous.Sequence).Select(a => a.Hash).FirstOrDefaultAsync(ct) : null;
            if (atPrevious != previous.HeadMac)
            {
                logger.LogError("Audit chain {Org} no longer agrees with its checkpoint of {At} (sequence {Sequence}): no new checkpoint is written over it",
                    organisationId, previous.At, previous.Sequence);
                return null;
            }
        }
        var keyId = sequence == 0 ? null : await Chain(db, organisationId).Where(a => a.Sequence == sequence).Select(a => a.KeyId).FirstOrDefaultAsync(ct);
        var signed = Sign(new AuditCheckpoint(organisationId, sequence, head?.LastHash, keyId, clock.GetUtcNow()));
        await AppendAsync(signed, ct);
        await SendAsync(signed, ct);
        return signed;
    }

    public SignedCheckpoint Sign(AuditCheckpoint c) =>
        new(c.OrganisationId, c.Sequence, c.HeadMac, c.KeyId, c.At, keys.SigningKeyId, Convert.ToBase64String(keys.Sign(Encoding.UTF8.GetBytes(c.Payload()))));

    /// <summary>Whether the checkpoint was signed by this portal's checkpoint key and is unchanged.</summary>
    public bool IsAuthentic(SignedCheckpoint s)
    {
        if (s.SigningKey != keys.SigningKeyId) return false;
        var signature = new byte[s.Signature.Length];
        if (!Convert.TryFromBase64String(s.Signature, signature, out var n)) return false;
        return keys.VerifySignature(Encoding.UTF8.GetBytes(s.Checkpoint.Payload()), signature[..n]);
    }

    public string PublicKeyPem => keys.PublicKeyPem;

    /// <summary>The newest authentic checkpoint of a chain in the file (lines that fail their signature are ignored and counted).</summary>
    public async Task<SignedCheckpoint?> LatestAsync(long organisationId, CancellationToken ct)
    {
        await _file.WaitAsync(ct);
        try
        {
            await RefreshAsync(ct);
            return _latest.GetValueOrDefault(organisationId);
        }
        finally
        {
            _file.Release();
        }
    }

    /// <summary>Every chain the file has a checkpoint of (a wiped organisation keeps its anchor here).</summary>
    public async Task<IReadOnlyCollection<long>> ChainsAsync(CancellationToken ct)
    {
        await _file.WaitAsync(ct);
        try
        {
            await RefreshAsync(ct);
            return [.. _latest.Keys];
        }
        finally
        {
            _file.Release();
        }
    }

    public int InvalidLines => _invalidLines;

    private static IQueryable<AuditEntry> Chain(PortalDbContext db, long organisationId) =>
        organisationId == 0 ? db.AuditEntries.AsNoTracking().Where(a => a.OrganisationId == null) : db.AuditEntries.AsNoTracking().Where(a => a.OrganisationId == organisationId);

    private async Task AppendAsync(SignedCheckpoint signed, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(signed.ToJson() + "\n");
        await _file.WaitAsync(ct);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
            var streamOptions = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite | FileShare.Delete };
            if (!OperatingSystem.IsWindows()) streamOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
            // One write of the whole line to a file opened for appending: lines of two processes never interleave.
            await using (var stream = new FileStream(FilePath, streamOptions))
            {
                await stream.WriteAsync(bytes, CancellationToken.None);
                await stream.FlushAsync(CancellationToken.None);
            }
            await RefreshAsync(ct);
        }
        finally
        {
            _file.Release();
        }
    }

    /// <summary>Reads the lines appended since the last read (by this or another process). Call holding <see cref="_file"/>.</summary>
    private async Task RefreshAsync(CancellationToken ct)
    {
        if (!File.Exists(FilePath)) return;
        await using var stream = new FileStream(FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length < _readOffset)
        {
            // The file was replaced or cut: start again (and say so: an append-only file should never shrink).
            logger.LogError("The audit checkpoint file {Path} shrank from {Old} to {New} bytes", FilePath, _readOffset, stream.Length);
            _readOffset = 0;
            _latest.Clear();
        }
        stream.Seek(_readOffset, SeekOrigin.Begin);
        var buffer = new byte[stream.Length - _readOffset];
        await stream.ReadExactlyAsync(buffer, ct);
        var end = Array.LastIndexOf(buffer, (byte)'\n');
        if (end < 0) return;
        foreach (var line in Encoding.UTF8.GetString(buffer, 0, end).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (SignedCheckpoint.Parse(line) is not { } c || !IsAuthentic(c))
            {
                _invalidLines++;
                logger.LogWarning("A line of the audit checkpoint file {Path} is not an authentic checkpoint and is ignored", FilePath);
                continue;
            }
            if (!_latest.TryGetValue(c.OrganisationId, out var known) || c.Sequence >= known.Sequence) _latest[c.OrganisationId] = c;
        }
        _readOffset += end + 1;
    }

    private async Task SendAsync(SignedCheckpoint signed, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(options.Value.CheckpointWebhookUrl)) return;
        try
        {
            var client = httpClients.CreateClient(WebhookClient);
            using var content = new StringContent(signed.ToJson(), Encoding.UTF8, "application/json");
            using var response = await client.PostAsync(options.Value.CheckpointWebhookUrl, content, ct);
            if (!response.IsSuccessStatusCode)
                logger.LogWarning("The audit checkpoint webhook answered {Status} for organisation {Org}", (int)response.StatusCode, signed.OrganisationId);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            // Best effort: the file keeps the checkpoint; the next run sends its successor.
            logger.LogWarning(ex, "The audit checkpoint webhook could not be reached for organisation {Org}", signed.OrganisationId);
        }
    }
}
