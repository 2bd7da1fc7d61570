using Hangfire;

namespace ClassExit.Portal.Features.Audit;

/// <summary>The audit log: keyed chain, checkpoints, search, exports, verification.</summary>
public sealed class AuditFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.SectionName);
        services.AddSingleton<AuditKeyRing>();
        services.AddSingleton<Domain.Audit.IAuditKeyRing>(sp => sp.GetRequiredService<AuditKeyRing>());
        services.AddSingleton<AuditCheckpoints>();
        services.AddHttpClient(AuditCheckpoints.WebhookClient, c => c.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton<AuditChainService>();
        services.AddScoped<AuditSearchService>();
        services.AddScoped<SignInAuditService>();
    }

    public void MapEndpoints(WebApplication app)
    {
        app.MapAuditExport();
        app.MapAuditCheckpoints();
    }

    public void ScheduleJobs(IServiceProvider services, IRecurringJobManager jobs)
    {
        var audit = services.Options<AuditOptions>();
        jobs.Every<AuditChainService>(AuditChainService.VerifyJobId, audit.VerifyCron, j => j.RunVerificationAsync(CancellationToken.None));
        jobs.Every<AuditCheckpoints>(AuditCheckpoints.JobId, audit.CheckpointCron, j => j.RunAsync(CancellationToken.None));
    }
}
