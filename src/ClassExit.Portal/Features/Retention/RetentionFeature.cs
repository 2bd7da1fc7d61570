using Hangfire;

namespace ClassExit.Portal.Features.Retention;

/// <summary>Retention of a leaver's content: the purge, legal holds, private replays, the chat export.</summary>
public sealed class RetentionFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<RetentionOptions>(RetentionOptions.SectionName);
        services.AddScoped<RetentionService>();
        services.AddScoped<ChatExportService>();
        services.AddTransient<RetentionPurgeJob>();
    }

    public void MapEndpoints(WebApplication app) => app.MapChatExport();

    public void ScheduleJobs(IServiceProvider services, IRecurringJobManager jobs) =>
        jobs.Every<RetentionPurgeJob>(RetentionPurgeJob.JobId, services.Options<RetentionOptions>().PurgeCron, j => j.RunAsync(CancellationToken.None));
}
