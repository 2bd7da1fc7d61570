namespace ClassExit.Portal.Features.ExitPolicies;

/// <summary>Exit policies per organisation and class, the handover checklist, device binding.</summary>
public sealed class ExitPoliciesFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddScoped<PolicyService>();
        services.AddScoped<HandoverChecklistService>();
        services.AddScoped<DeviceBindingService>();
    }
}
