namespace ClassExit.Portal.Features.JobRuns;

/// <summary>The organisation's own job runs (<c>/job-runs</c>).</summary>
public sealed class JobRunsFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, IConfiguration configuration) => services.AddScoped<JobRunsService>();
}
