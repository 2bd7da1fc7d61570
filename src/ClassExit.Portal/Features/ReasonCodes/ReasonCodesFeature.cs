using ClassExit.Portal.Infrastructure;
namespace ClassExit.Portal.Features.ReasonCodes;

/// <summary>The organisation's exit reason codes: the page and <c>GET /api/v1/reason-codes</c>.</summary>
public sealed class ReasonCodesFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, IConfiguration configuration) => services.AddScoped<ReasonCodesService>();

    public void MapEndpoints(WebApplication app) => app.ApiGroup().MapReasonCodesApi();
}
