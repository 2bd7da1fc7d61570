namespace ClassExit.Portal.Features.Notifications;

/// <summary>Telling people and systems what happened (issue 17): events raised to every sink in the change's own transaction.</summary>
public sealed class NotificationsFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, IConfiguration configuration) => services.AddSingleton<PortalEvents>();
}
