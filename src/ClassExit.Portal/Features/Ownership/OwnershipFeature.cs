using Hangfire;

namespace ClassExit.Portal.Features.Ownership;

/// <summary>Class ownership: transfers (offer, accept, decline, expire, force), dissolution, classes at risk.</summary>
public sealed class OwnershipFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<OwnershipOptions>(OwnershipOptions.SectionName);
        services.AddScoped<OwnershipService>();
        services.AddScoped<DissolutionService>();
        services.AddTransient<TransferExpiryJob>();
    }

    public void ScheduleJobs(IServiceProvider services, IRecurringJobManager jobs) =>
        jobs.Every<TransferExpiryJob>(TransferExpiryJob.JobId, services.Options<OwnershipOptions>().ExpiryCron, j => j.RunAsync(CancellationToken.None));
}
