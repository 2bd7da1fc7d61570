using ClassExit.Portal.Infrastructure;
namespace ClassExit.Portal.Features.Organisation;

/// <summary>The signed-in organisation: its settings and <c>GET /api/v1/me</c>.</summary>
public sealed class OrganisationFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, IConfiguration configuration) => services.AddScoped<OrganisationService>();

    public void MapEndpoints(WebApplication app) => app.ApiGroup().MapMeApi();
}
