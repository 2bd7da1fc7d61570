using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace ClassExit.Portal.Infrastructure.Authorization;

/// <summary>
/// A platform operator belongs to no organisation, so the dashboard at <c>/</c> (an organisation's counts) is not theirs: their home
/// is the platform's quota requests. Over HTTP (after signing in, a typed address, a "back home" link) <see cref="RedirectHandler"/>
/// sends them there instead of the access-denied page; inside a circuit the router does (Routes.razor).
/// </summary>
public static class PlatformHome
{
    public const string Path = "/platform/quota-requests";

    /// <summary>Signed in without an organisation: a platform operator (PortalPrincipal accepts no one else without one).</summary>
    public static bool IsPlatformAccount(ClaimsPrincipal user) => PortalPrincipal.From(user) is { HasOrganisation: false, ApiKeyId: null };

    public static IServiceCollection AddPlatformHome(this IServiceCollection services) =>
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, RedirectHandler>();

    /// <summary>Refused at <c>/</c> as a platform operator: redirect home. Everything else as the framework answers it.</summary>
    internal sealed class RedirectHandler : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler _default = new();

        public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            if (authorizeResult.Forbidden && context.Request.Path == "/" && IsPlatformAccount(context.User))
            {
                context.Response.Redirect(Path);
                return Task.CompletedTask;
            }
            return _default.HandleAsync(next, context, policy, authorizeResult);
        }
    }
}
