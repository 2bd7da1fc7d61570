namespace ClassExit.Portal.Features.Users;

/// <summary>Portal accounts of the organisation: invite, roles, disable.</summary>
public sealed class UsersFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, IConfiguration configuration) => services.AddScoped<UsersService>();
}
