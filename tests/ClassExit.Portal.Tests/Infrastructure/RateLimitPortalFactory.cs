using Microsoft.AspNetCore.Hosting;

namespace ClassExit.Portal.Tests.Infrastructure;

/// <summary>
/// The portal with low API limits whose buckets refill once a day, so that a test's outcome cannot depend on how fast it runs:
/// nothing is given back while it runs (the rate limiter takes no <see cref="TimeProvider"/>).
/// </summary>
public sealed class RateLimitPortalFactory : PortalFactory
{
    public const int ExitsPerKey = 5;
    public const int ExitsPerOrganisation = 8;
    public const int ReadsPerKey = 6;
    public const int DryRunsPerKey = 3;
    public const int ConcurrentBatches = 2;
    public const int SignInPerAccountLimit = 2;
    private const string OncePerDay = "86400";

    protected override void ConfigureMore(IWebHostBuilder builder)
    {
        Bucket(builder, "ClientExits:PerKey", ExitsPerKey);
        Bucket(builder, "ClientExits:PerOrganisation", ExitsPerOrganisation);
        Bucket(builder, "Reads:PerKey", ReadsPerKey);
        Bucket(builder, "Reads:PerOrganisation", 1000);
        Bucket(builder, "DryRuns:PerKey", DryRunsPerKey);
        Bucket(builder, "DryRuns:PerOrganisation", 1000);
        builder.UseSetting("RateLimits:ConcurrentBatchesPerOrganisation", ConcurrentBatches.ToString());
        // The concurrency test wants the third batch refused at once, not queued.
        builder.UseSetting("RateLimits:BatchQueueLimit", "0");
        builder.UseSetting("Sessions:SignInPerAccountLimit", SignInPerAccountLimit.ToString());
    }

    private static void Bucket(IWebHostBuilder builder, string name, int tokens)
    {
        builder.UseSetting($"RateLimits:{name}:TokenLimit", tokens.ToString());
        builder.UseSetting($"RateLimits:{name}:TokensPerPeriod", "1");
        builder.UseSetting($"RateLimits:{name}:ReplenishmentSeconds", OncePerDay);
    }
}
