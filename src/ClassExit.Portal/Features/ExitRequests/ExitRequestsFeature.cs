using ClassExit.Portal.Infrastructure;
using Hangfire;

namespace ClassExit.Portal.Features.ExitRequests;

/// <summary>Exit requests: start, approve, reject, withdraw, force-remove, escalate; the approval queue; <c>/api/v1/exits…</c>.</summary>
public sealed class ExitRequestsFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<ExitRequestsOptions>(ExitRequestsOptions.SectionName);
        services.AddScoped<ExitService>();
        services.AddScoped<ExitQueries>();
        services.AddTransient<ExitEscalationJob>();
    }

    public void MapEndpoints(WebApplication app) => app.ApiGroup().MapExitRequestsApi();

    public void ScheduleJobs(IServiceProvider services, IRecurringJobManager jobs) =>
        jobs.Every<ExitEscalationJob>(ExitEscalationJob.JobId, services.Options<ExitRequestsOptions>().EscalationCron,
            j => j.RunAsync(CancellationToken.None));
}
