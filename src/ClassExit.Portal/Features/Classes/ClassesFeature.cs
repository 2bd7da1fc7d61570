using ClassExit.Portal.Infrastructure;
namespace ClassExit.Portal.Features.Classes;

/// <summary>Classes: the grid, the class page, <c>/api/v1/classes…</c>.</summary>
public sealed class ClassesFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, IConfiguration configuration) => services.AddScoped<ClassesService>();

    public void MapEndpoints(WebApplication app) => app.ApiGroup().MapClassesApi();
}
