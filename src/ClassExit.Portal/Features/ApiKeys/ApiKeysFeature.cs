namespace ClassExit.Portal.Features.ApiKeys;

/// <summary>The organisation's API keys: issue, scope, revoke.</summary>
public sealed class ApiKeysFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, IConfiguration configuration) => services.AddScoped<ApiKeysService>();
}
