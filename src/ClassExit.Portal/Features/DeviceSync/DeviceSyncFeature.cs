using ClassExit.Portal.Infrastructure;
using Hangfire;

namespace ClassExit.Portal.Features.DeviceSync;

/// <summary>Devices learning of exits: the sync API, the sync check, sync health, the demo device simulator.</summary>
public sealed class DeviceSyncFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<DeviceSyncOptions>(DeviceSyncOptions.SectionName);
        services.AddScoped<DeviceSyncService>();
        services.AddScoped<SyncHealthService>();
        services.AddTransient<SyncCheckJob>();
        services.AddTransient<DeviceSimulatorJob>();
    }

    public void MapEndpoints(WebApplication app) => app.ApiGroup().MapDeviceSyncApi();

    public void ScheduleJobs(IServiceProvider services, IRecurringJobManager jobs)
    {
        var sync = services.Options<DeviceSyncOptions>();
        jobs.Every<SyncCheckJob>(SyncCheckJob.JobId, sync.CheckCron, j => j.RunAsync(CancellationToken.None));
        if (sync.SimulatorEnabled ?? DemoOptions.IsOn(services.GetRequiredService<IConfiguration>()))
            jobs.Every<DeviceSimulatorJob>(DeviceSimulatorJob.JobId, "* * * * *", j => j.RunAsync(CancellationToken.None));
        else
            jobs.RemoveIfExists(DeviceSimulatorJob.JobId);
    }
}
