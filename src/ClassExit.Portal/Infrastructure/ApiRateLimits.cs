using System.Globalization;
using System.Threading.RateLimiting;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Features.Audit;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Infrastructure;

/// <summary>Which of the API's limits an endpoint is counted in (endpoint metadata, see <see cref="ApiRateLimits.RequireApiRateLimit"/>).</summary>
public enum ApiRateLimit
{
    /// <summary>A token bucket per API key and per organisation for <c>POST /api/v1/classes/{id}/exits</c>.</summary>
    ClientExits,
    /// <summary>A token bucket per API key and per organisation shared by the read endpoints (and sync-ack).</summary>
    Reads,
    /// <summary>Batches running at once per organisation; dry runs also take a token of their own bucket.</summary>
    Batches,
    /// <summary>Dry-run batches: a token bucket per API key and per organisation (no daily quota, but not free).</summary>
    DryRuns,
}

/// <summary>Endpoint metadata: the limit the endpoint is counted in (read by the limiter, the tests and the README table).</summary>
public sealed record ApiRateLimitMetadata(ApiRateLimit Limit);

/// <summary>One token bucket (<see cref="TokenBucketRateLimiterOptions"/>): <c>TokenLimit</c> calls at once, refilled by
/// <c>TokensPerPeriod</c> every <c>ReplenishmentSeconds</c>.</summary>
public sealed class TokenBucketSettings
{
    public int TokenLimit { get; set; }
    public int TokensPerPeriod { get; set; }
    public int ReplenishmentSeconds { get; set; }

    public TokenBucketSettings() { }

    public TokenBucketSettings(int tokenLimit, int tokensPerPeriod, int replenishmentSeconds) =>
        (TokenLimit, TokensPerPeriod, ReplenishmentSeconds) = (tokenLimit, tokensPerPeriod, replenishmentSeconds);

    internal bool IsValid => TokenLimit >= 1 && TokensPerPeriod >= 1 && ReplenishmentSeconds >= 1;

    internal TokenBucketRateLimiterOptions ToOptions() => new()
    {
        TokenLimit = TokenLimit,
        TokensPerPeriod = TokensPerPeriod,
        ReplenishmentPeriod = TimeSpan.FromSeconds(ReplenishmentSeconds),
        QueueLimit = 0,
        AutoReplenishment = true,
    };
}

/// <summary>A limit per API key, chained with a higher one per organisation (so that one organisation's many keys cannot starve the
/// server, and one key cannot use up its organisation's share).</summary>
public sealed class KeyAndOrganisationLimits
{
    public TokenBucketSettings PerKey { get; set; } = new();
    public TokenBucketSettings PerOrganisation { get; set; } = new();

    public KeyAndOrganisationLimits() { }

    public KeyAndOrganisationLimits(TokenBucketSettings perKey, TokenBucketSettings perOrganisation) =>
        (PerKey, PerOrganisation) = (perKey, perOrganisation);

    internal bool IsValid => PerKey.IsValid && PerOrganisation.IsValid;
}

/// <summary>
/// <c>RateLimits</c>: the REST API's limits, in memory per portal instance (README, "Rate limits"). The defaults leave the demo and
/// an integration's normal pace alone; the daily batch quota (42901) is separate and stored.
/// </summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "RateLimits";

    /// <summary>The client exit endpoint: 120 at once, 2 a second per key; 600 at once, 10 a second per organisation.</summary>
    public KeyAndOrganisationLimits ClientExits { get; set; } = new(new(120, 20, 10), new(600, 100, 10));

    /// <summary>Reads (me, reason codes, classes, members, exit requests, quota, devices, sync-ack): 600 / 10 a second per key,
    /// 3,000 / 50 a second per organisation.</summary>
    public KeyAndOrganisationLimits Reads { get; set; } = new(new(600, 100, 10), new(3000, 500, 10));

    /// <summary>Dry-run batches: 20 at once, 20 a minute per key; 60 at once, 60 a minute per organisation.</summary>
    public KeyAndOrganisationLimits DryRuns { get; set; } = new(new(20, 20, 60), new(60, 60, 60));

    /// <summary>Batches (dry runs included) running at once per organisation (default 2).</summary>
    public int ConcurrentBatchesPerOrganisation { get; set; } = 2;

    /// <summary>
    /// Batches that wait for a running one to finish instead of an immediate 429 (default 20). Waiting matters for retries: concurrent
    /// duplicates of one Idempotency-Key call wait their turn and get the stored response, instead of a 42903.
    /// </summary>
    public int BatchQueueLimit { get; set; } = 20;

    /// <summary><c>Retry-After</c> for a refused concurrent batch (the concurrency limiter cannot know; default 5 s).</summary>
    public int BatchRetryAfterSeconds { get; set; } = 5;

    /// <summary>At most one audit entry per API key and limit in this many minutes; the refusals in between are counted (default 5).</summary>
    public int RefusalAuditMinutes { get; set; } = 5;

    internal KeyAndOrganisationLimits Buckets(ApiRateLimit limit) => limit switch
    {
        ApiRateLimit.ClientExits => ClientExits,
        ApiRateLimit.Reads => Reads,
        ApiRateLimit.DryRuns => DryRuns,
        _ => throw new ArgumentOutOfRangeException(nameof(limit), limit, "Batches are limited by concurrency, not a token bucket."),
    };

    internal bool IsValid => ClientExits.IsValid && Reads.IsValid && DryRuns.IsValid && ConcurrentBatchesPerOrganisation >= 1
        && BatchQueueLimit >= 0 && BatchRetryAfterSeconds >= 1 && RefusalAuditMinutes >= 1;
}

/// <summary>
/// The REST API's rate limits, on ASP.NET Core's rate limiter: <see cref="PortalRateLimits"/> chains <see cref="PerKey"/>,
/// <see cref="PerOrganisation"/> and <see cref="Batches"/> into its global limiter (after authorization, which authenticates the key),
/// so every <c>/api/v1</c> endpoint is limited by the <see cref="ApiRateLimitMetadata"/> it carries. Dry runs are told apart only
/// once the body is bound, so their bucket is taken in an endpoint filter (<see cref="RequireBatchRateLimits{TBody}"/>).
/// Refusals: 429 with 42902 (token buckets) or 42903 (concurrent batches), <c>Retry-After</c>, audited by <see cref="ApiRateLimitRefusals"/>.
/// </summary>
public sealed class ApiRateLimits : IDisposable
{
    private readonly IOptions<RateLimitOptions> _options;
    private readonly PartitionedRateLimiter<Caller?> _perKey;
    private readonly PartitionedRateLimiter<Caller?> _perOrganisation;
    private readonly PartitionedRateLimiter<Caller?> _batches;
    private readonly PartitionedRateLimiter<long> _dryRunsPerKey;
    private readonly PartitionedRateLimiter<long> _dryRunsPerOrganisation;

    public ApiRateLimits(IOptions<RateLimitOptions> options)
    {
        _options = options;
        // Per key first: a key over its own limit is refused without spending its organisation's tokens.
        _perKey = PartitionedRateLimiter.Create<Caller?, string>(c => c is { Limit: not ApiRateLimit.Batches }
            ? RateLimitPartition.GetTokenBucketLimiter($"{c.Limit}:key:{c.KeyId}", _ => Settings.Buckets(c.Limit).PerKey.ToOptions())
            : RateLimitPartition.GetNoLimiter(""));
        _perOrganisation = PartitionedRateLimiter.Create<Caller?, string>(c => c is { Limit: not ApiRateLimit.Batches }
            ? RateLimitPartition.GetTokenBucketLimiter($"{c.Limit}:org:{c.OrganisationId}", _ => Settings.Buckets(c.Limit).PerOrganisation.ToOptions())
            : RateLimitPartition.GetNoLimiter(""));
        _batches = PartitionedRateLimiter.Create<Caller?, string>(c => c is { Limit: ApiRateLimit.Batches }
            ? RateLimitPartition.GetConcurrencyLimiter($"batches:org:{c.OrganisationId}", _ => new ConcurrencyLimiterOptions
            {
                PermitLimit = Settings.ConcurrentBatchesPerOrganisation,
                QueueLimit = Settings.BatchQueueLimit,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            })
            : RateLimitPartition.GetNoLimiter(""));
        PerKey = _perKey.WithTranslatedKey<HttpContext>(Classify, leaveOpen: true);
        PerOrganisation = _perOrganisation.WithTranslatedKey<HttpContext>(Classify, leaveOpen: true);
        Batches = _batches.WithTranslatedKey<HttpContext>(Classify, leaveOpen: true);
        _dryRunsPerKey = PartitionedRateLimiter.Create<long, long>(key =>
            RateLimitPartition.GetTokenBucketLimiter(key, _ => Settings.DryRuns.PerKey.ToOptions()));
        _dryRunsPerOrganisation = PartitionedRateLimiter.Create<long, long>(organisation =>
            RateLimitPartition.GetTokenBucketLimiter(organisation, _ => Settings.DryRuns.PerOrganisation.ToOptions()));
    }

    private RateLimitOptions Settings => _options.Value;

    /// <summary>Token buckets per API key (client exits, reads).</summary>
    public PartitionedRateLimiter<HttpContext> PerKey { get; }

    /// <summary>Token buckets per organisation (client exits, reads).</summary>
    public PartitionedRateLimiter<HttpContext> PerOrganisation { get; }

    /// <summary>Batches running at once per organisation.</summary>
    public PartitionedRateLimiter<HttpContext> Batches { get; }

    private sealed record Caller(ApiRateLimit Limit, long KeyId, long OrganisationId);

    /// <summary>Batches of the organisation running now (holding a slot of <see cref="Batches"/>).</summary>
    public long RunningBatches(long organisationId) =>
        _batches.GetStatistics(new Caller(ApiRateLimit.Batches, 0, organisationId)) is { } s ? Settings.ConcurrentBatchesPerOrganisation - s.CurrentAvailablePermits : 0;

    private static Caller? Classify(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<ApiRateLimitMetadata>() is not { } metadata) return null;
        return PortalPrincipal.From(context.User) is { ApiKeyId: { } key, HasOrganisation: true } user
            ? new Caller(metadata.Limit, key, user.OrganisationId)
            : null;
    }

    /// <summary>An API call refused by the global limiter (one of this class's partitions).</summary>
    public static bool IsApiCall(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<ApiRateLimitMetadata>() is not null;

    /// <summary>Answers a call the global limiter refused: 429 problem, <c>Retry-After</c>, audited (at most once per window).</summary>
    public async ValueTask OnRejectedAsync(OnRejectedContext rejected, CancellationToken ct)
    {
        var context = rejected.HttpContext;
        if (Classify(context) is not { } caller) return;
        if (caller.Limit == ApiRateLimit.Batches)
        {
            await RefuseAsync(context, ApiRateLimit.Batches, "organisation", Settings.BatchRetryAfterSeconds, ct);
            return;
        }
        // Which of the two buckets refused: the organisation's if it is empty (when both are, its Retry-After is the one that
        // matters to every key), else the key's. The key's cannot be asked: the middleware tries the chain twice (attempt, then
        // wait), so a call the organisation refuses has spent two of the key's tokens.
        var byOrganisation = _perOrganisation.GetStatistics(caller) is not { CurrentAvailablePermits: > 0 };
        await RefuseAsync(context, caller.Limit, byOrganisation ? "organisation" : "api_key", RetryAfterSeconds(rejected.Lease), ct);
    }

    private static int RetryAfterSeconds(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1;

    /// <summary>Takes a dry run's token (key, then organisation); null when it may run, else the 429 to answer.</summary>
    internal async Task<IResult?> TakeDryRunAsync(HttpContext context)
    {
        if (PortalPrincipal.From(context.User) is not { ApiKeyId: { } key, HasOrganisation: true } user) return null;
        using var byKey = _dryRunsPerKey.AttemptAcquire(key);
        if (!byKey.IsAcquired)
            return await RefuseAsync(context, ApiRateLimit.DryRuns, "api_key", RetryAfterSeconds(byKey), context.RequestAborted, writeResponse: false);
        using var byOrganisation = _dryRunsPerOrganisation.AttemptAcquire(user.OrganisationId);
        if (!byOrganisation.IsAcquired)
            return await RefuseAsync(context, ApiRateLimit.DryRuns, "organisation", RetryAfterSeconds(byOrganisation), context.RequestAborted, writeResponse: false);
        return null;
    }

    private async Task<IResult?> RefuseAsync(HttpContext context, ApiRateLimit limit, string limitedBy, int retryAfterSeconds,
        CancellationToken ct, bool writeResponse = true)
    {
        var code = limit == ApiRateLimit.Batches ? ErrorCatalogue.TooManyConcurrentBatches : ErrorCatalogue.RateLimited;
        await context.RequestServices.GetRequiredService<ApiRateLimitRefusals>().RecordAsync(context, limit, limitedBy, code, retryAfterSeconds, ct);
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        var result = ApiProblems.Problem(context, code, Detail(context, limit, limitedBy, retryAfterSeconds), extensions: new Dictionary<string, object?>
        {
            ["limit"] = Name(limit),
            ["limited_by"] = limitedBy,
            ["retry_after_seconds"] = retryAfterSeconds,
        });
        if (!writeResponse) return result;
        await result.ExecuteAsync(context);
        return null;
    }

    public static string Name(ApiRateLimit limit) => limit switch
    {
        ApiRateLimit.ClientExits => "client_exits",
        ApiRateLimit.Reads => "reads",
        ApiRateLimit.Batches => "concurrent_batches",
        _ => "dry_runs",
    };

    private string Detail(HttpContext context, ApiRateLimit limit, string limitedBy, int seconds)
    {
        var english = ApiProblems.WantsEnglish(context);
        if (limit == ApiRateLimit.Batches)
            return english
                ? $"{Settings.ConcurrentBatchesPerOrganisation} batches of this organisation are running already; retry in {seconds} s."
                : $"本组织已有 {Settings.ConcurrentBatchesPerOrganisation} 个批量调用正在进行；请 {seconds} 秒后重试。";
        var (en, zh) = limit switch
        {
            ApiRateLimit.ClientExits => ("client exit calls", "客户端退出调用"),
            ApiRateLimit.Reads => ("read calls", "读取调用"),
            _ => ("dry-run batches", "试运行批量调用"),
        };
        return (english, limitedBy == "api_key") switch
        {
            (true, true) => $"This API key made too many {en}; retry in {seconds} s.",
            (true, false) => $"This organisation's API keys made too many {en} together; retry in {seconds} s.",
            (false, true) => $"该 API 密钥的{zh}过于频繁；请 {seconds} 秒后重试。",
            (false, false) => $"本组织所有 API 密钥的{zh}合计过于频繁；请 {seconds} 秒后重试。",
        };
    }

    public void Dispose()
    {
        PerKey.Dispose();
        PerOrganisation.Dispose();
        Batches.Dispose();
        _perKey.Dispose();
        _perOrganisation.Dispose();
        _batches.Dispose();
        _dryRunsPerKey.Dispose();
        _dryRunsPerOrganisation.Dispose();
    }
}

/// <summary>Endpoint conventions: <c>.RequireApiRateLimit(ApiRateLimit.Reads)</c> on every <c>/api/v1</c> endpoint (an endpoint
/// without one fails <c>ApiRateLimitTests</c>).</summary>
public static class ApiRateLimitConventions
{
    public static RouteHandlerBuilder RequireApiRateLimit(this RouteHandlerBuilder endpoint, ApiRateLimit limit)
    {
        if (limit is ApiRateLimit.Batches or ApiRateLimit.DryRuns)
            throw new ArgumentException("Batch endpoints use RequireBatchRateLimits, which also counts dry runs.", nameof(limit));
        return endpoint.WithMetadata(new ApiRateLimitMetadata(limit)).ProducesProblem(StatusCodes.Status429TooManyRequests);
    }

    /// <summary>The batch endpoint: batches running at once per organisation, and <paramref name="isDryRun"/> bodies take a token of
    /// the dry-run buckets (once bound: the limiter's partitioner cannot read a body).</summary>
    public static RouteHandlerBuilder RequireBatchRateLimits<TBody>(this RouteHandlerBuilder endpoint, Func<TBody, bool> isDryRun)
        where TBody : class =>
        endpoint.WithMetadata(new ApiRateLimitMetadata(ApiRateLimit.Batches))
            .AddEndpointFilter(async (context, next) =>
            {
                if (context.Arguments.OfType<TBody>().FirstOrDefault() is { } body && isDryRun(body)
                    && await context.HttpContext.RequestServices.GetRequiredService<ApiRateLimits>().TakeDryRunAsync(context.HttpContext) is { } refused)
                    return refused;
                return await next(context);
            })
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

    public static IServiceCollection AddApiRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName)
            .Validate(o => o.IsValid, "RateLimits: every TokenLimit, TokensPerPeriod, ReplenishmentSeconds, ConcurrentBatchesPerOrganisation, "
                + "BatchRetryAfterSeconds and RefusalAuditMinutes must be at least 1, BatchQueueLimit at least 0.")
            .ValidateOnStart();
        services.AddSingleton<ApiRateLimits>();
        services.AddSingleton<ApiRateLimitRefusals>();
        return services;
    }
}

/// <summary>
/// Audits refusals without writing one row per refused call under a flood: the first refusal of an API key on a limit writes an
/// audit entry (security event <c>api.rate_limited</c>) and a warning; further refusals of that key and limit within
/// <see cref="RateLimitOptions.RefusalAuditMinutes"/> are only counted (and logged at debug), and the count goes into the next entry.
/// A flood therefore costs at most one row per key, limit and window. In memory, per instance, like the limits.
/// </summary>
public sealed class ApiRateLimitRefusals(TimeProvider clock, IOptions<RateLimitOptions> options, ILogger<ApiRateLimitRefusals> logger)
{
    private sealed class Window(DateTimeOffset since)
    {
        public DateTimeOffset Since { get; } = since;
        public int NotAudited { get; set; }
    }

    private readonly Dictionary<(long Key, ApiRateLimit Limit), Window> _windows = [];
    private readonly Lock _gate = new();

    public async Task RecordAsync(HttpContext context, ApiRateLimit limit, string limitedBy, int code, int retryAfterSeconds, CancellationToken ct)
    {
        if (PortalPrincipal.From(context.User) is not { ApiKeyId: { } key } user) return;
        var now = clock.GetUtcNow();
        var window = TimeSpan.FromMinutes(options.Value.RefusalAuditMinutes);
        int? earlier = null;
        lock (_gate)
        {
            if (_windows.TryGetValue((key, limit), out var open) && now - open.Since < window) open.NotAudited++;
            else
            {
                earlier = open?.NotAudited ?? 0;
                if (_windows.Count > 10_000)
                    foreach (var stale in _windows.Where(w => now - w.Value.Since >= window).Select(w => w.Key).ToList()) _windows.Remove(stale);
                _windows[(key, limit)] = new Window(now);
            }
        }
        if (earlier is null)
        {
            logger.LogDebug("API key {ApiKeyId} refused again on {Limit} (429 {Code})", key, ApiRateLimits.Name(limit), code);
            return;
        }
        logger.LogWarning("API key {ApiKeyId} of organisation {OrganisationId} rate-limited on {Limit} by {LimitedBy} (429 {Code}, Retry-After {RetryAfter} s); {Earlier} earlier refusals were not audited",
            key, user.OrganisationId, ApiRateLimits.Name(limit), limitedBy, code, retryAfterSeconds, earlier);
        try
        {
            await using var db = await context.RequestServices.GetRequiredService<TenantDb>().CreateAsync(ct);
            AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), now, "api.rate_limited", AuditOutcome.Refused, "ApiKey",
                key.ToString(CultureInfo.InvariantCulture), code: code, securityEvent: true, details: new
                {
                    limit = ApiRateLimits.Name(limit),
                    limited_by = limitedBy,
                    endpoint = context.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName,
                    retry_after_seconds = retryAfterSeconds,
                    window_minutes = options.Value.RefusalAuditMinutes,
                    earlier_refusals_not_audited = earlier,
                });
            await db.SaveChangesAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The 429 goes out whatever happens to the audit write; the warning above already names the key.
            logger.LogError(ex, "Could not audit the rate-limit refusal of API key {ApiKeyId}", key);
        }
    }
}
