using Microsoft.AspNetCore.Authorization;

namespace ClassExit.Portal.Infrastructure.Authorization;

/// <summary>
/// The fallback policy (<see cref="Policies"/>) asks every endpoint without a policy for a signed-in user. Blazor's own endpoints
/// must stay anonymous: the circuit hub serves the pages one sees before signing in (not found, the error page), and every page,
/// protected or not, is authorized by its own <c>[Authorize]</c> inside the circuit as it is over HTTP.
/// </summary>
public static class AnonymousEndpoints
{
    /// <summary>Route prefixes of the framework's endpoints that a page needs before anyone signs in.</summary>
    public static readonly string[] FrameworkPrefixes = ["/_blazor", "_blazor", "/_framework", "_framework"];

    /// <summary>Marks the circuit hub (<c>/_blazor…</c>) and the framework's own routes (<c>/_framework…</c>) anonymous; pages keep their policies.</summary>
    public static RazorComponentsEndpointConventionBuilder AllowAnonymousFrameworkEndpoints(this RazorComponentsEndpointConventionBuilder builder)
    {
        builder.Add(endpoint =>
        {
            if (endpoint is RouteEndpointBuilder route && IsFrameworkRoute(route.RoutePattern.RawText))
                endpoint.Metadata.Add(new AllowAnonymousAttribute());
        });
        return builder;
    }

    public static bool IsFrameworkRoute(string? route) =>
        route is not null && FrameworkPrefixes.Any(p => route.StartsWith(p, StringComparison.OrdinalIgnoreCase));
}
