using ClassExit.Portal.Infrastructure;
using Hangfire;

namespace ClassExit.Portal.Features.BulkExits;

/// <summary>HR bulk exits: batches (synchronous and background), the daily quota and its increase requests, idempotency.</summary>
public sealed class BulkExitsFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddScoped<QuotaService>();
        services.AddScoped<QuotaRequestsService>();
        services.AddScoped<BatchExitService>();
        services.AddScoped<BatchFormService>();
        services.AddScoped<BatchQueries>();
        services.AddTransient<BatchExitJob>();
        services.AddTransient<IdempotencyCleanupJob>();
    }

    public void MapEndpoints(WebApplication app) => app.ApiGroup().MapBulkExitApi();

    public void ScheduleJobs(IServiceProvider services, IRecurringJobManager jobs)
    {
        jobs.Every<IdempotencyCleanupJob>(IdempotencyCleanupJob.JobId, IdempotencyCleanupJob.Cron, j => j.RunAsync(CancellationToken.None));
        // In-memory job storage forgets queued jobs at a restart: the batches' own rows say what is left to do.
        services.GetRequiredService<IBackgroundJobClient>().Enqueue<BatchExitJob>(j => j.ResumeAllAsync(CancellationToken.None));
    }
}
