using System.Security.Claims;
using ClassExit.Portal.Data.Identity;
using Microsoft.AspNetCore.Components.Authorization;

namespace ClassExit.Portal.Infrastructure;

/// <summary>Who is acting: a portal user (cookie) or an API key (its owner member).</summary>
/// <remarks>
/// A platform operator belongs to no organisation: <see cref="OrganisationId"/> is <see cref="NoOrganisation"/>, so a tenant context
/// made for them sees no organisation's rows at all; the platform pages read across organisations in an explicit system scope.
/// </remarks>
public sealed record PortalPrincipal(string? UserId, long OrganisationId, long? MemberId, string Name, long? ApiKeyId, ClaimsPrincipal Principal)
{
    /// <summary>The organisation id of a principal that belongs to none (no organisation has id 0).</summary>
    public const long NoOrganisation = 0;

    public bool IsInRole(string role) => Principal.IsInRole(role);

    public bool HasOrganisation => OrganisationId != NoOrganisation;

    /// <summary>The server-side session of a cookie sign-in; null for API keys.</summary>
    public string? SessionId => Principal.FindFirstValue(PortalClaims.SessionId);

    public static PortalPrincipal? From(ClaimsPrincipal principal)
    {
        if (principal.Identity?.IsAuthenticated != true) return null;
        if (!long.TryParse(principal.FindFirstValue(PortalClaims.OrganisationId), out var org))
        {
            if (!principal.IsInRole(PortalRoles.PlatformOperator)) return null;
            org = NoOrganisation;
        }
        long? member = long.TryParse(principal.FindFirstValue(PortalClaims.MemberId), out var m) ? m : null;
        long? key = long.TryParse(principal.FindFirstValue(PortalClaims.ApiKeyId), out var k) ? k : null;
        var name = principal.FindFirstValue(PortalClaims.DisplayName) ?? principal.Identity.Name ?? "?";
        return new PortalPrincipal(principal.FindFirstValue(ClaimTypes.NameIdentifier), org, member, name, key, principal);
    }
}

public interface ICurrentUser
{
    /// <summary>The acting principal; throws when nobody is signed in (an endpoint without a policy is a bug).</summary>
    Task<PortalPrincipal> GetAsync();
}

/// <summary>
/// Reads the principal of the HTTP request (API calls, static SSR) or, inside an interactive circuit, of the
/// circuit's authentication state.
/// </summary>
internal sealed class CurrentUser(IHttpContextAccessor http, AuthenticationStateProvider authState) : ICurrentUser
{
    private PortalPrincipal? _cached;

    public async Task<PortalPrincipal> GetAsync()
    {
        if (_cached is not null) return _cached;
        var principal = http.HttpContext?.User is { Identity.IsAuthenticated: true } user
            ? user
            : (await authState.GetAuthenticationStateAsync()).User;
        _cached = PortalPrincipal.From(principal) ?? throw new UnauthorizedAccessException("No signed-in portal user or API key.");
        return _cached;
    }
}
