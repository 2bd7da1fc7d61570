namespace ClassExit.Portal.Features.Dashboard;

/// <summary>The dashboard and the counts every circuit shares.</summary>
public sealed class DashboardFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddScoped<DashboardService>();
        services.AddSingleton<DashboardCountsCache>();
    }
}
