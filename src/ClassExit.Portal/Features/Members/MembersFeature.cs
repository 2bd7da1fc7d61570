namespace ClassExit.Portal.Features.Members;

/// <summary>Members: the list and the member page.</summary>
public sealed class MembersFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, IConfiguration configuration) => services.AddScoped<MembersService>();
}
