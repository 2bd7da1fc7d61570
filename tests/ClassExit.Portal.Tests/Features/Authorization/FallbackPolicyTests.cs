using System.Net;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticAssets;
using Microsoft.Extensions.DependencyInjection;

namespace ClassExit.Portal.Tests.Features.Authorization;

/// <summary>
/// Every endpoint names its authorization: a policy (or <c>[Authorize]</c>), or <c>AllowAnonymous</c> from the short list below.
/// Anything else falls to the fallback policy: signed-in users only.
/// </summary>
[Collection(PortalCollection.Name)]
public class FallbackPolicyTests(PortalFactory factory)
{
    /// <summary>What one may open before signing in, by route pattern. Static files are anonymous as a kind (MapStaticAssets).</summary>
    private static readonly HashSet<string> AnonymousRoutes =
    [
        "/Account/Login", "/Account/Lockout", "/Account/SignedOut", "/Account/AccessDenied", "/Account/InvalidUser", "/Error", "/not-found",
        "/health", "/openapi/{documentName}.json", "/culture/set",
        // Probes, and the browser's CSP reports (ADR 0014); /metrics decides itself: platform operators or the metrics key (401 else).
        "/health/live", "/health/ready", "/csp-report", "/metrics",
        // The second step of a sign-in: only Identity's two-factor cookie from the password step names a user there.
        "/Account/LoginWith2fa", "/Account/LoginWithRecoveryCode",
        // Blazor's circuit hub and its own redirect endpoint: the pages inside the circuit are authorized there as over HTTP.
        "/_blazor", "/_blazor/negotiate", "/_blazor/disconnect/", "/_blazor/initializers/", "/_framework/opaque-redirect",
    ];

    /// <summary>
    /// Endpoints that say nothing and so need a signed-in user through the fallback policy: MapStaticAssets' development-only
    /// fallback for files outside the build manifest (absent in production).
    /// </summary>
    private static readonly HashSet<string> FallbackOnly = ["{**path:file}"];

    private List<RouteEndpoint> Endpoints()
    {
        var endpoints = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.True(endpoints.Count > 40, $"only {endpoints.Count} endpoints");
        return endpoints;
    }

    [Fact]
    public void FallbackPolicy_RequiresASignedInUser()
    {
        var options = factory.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuthorizationOptions>>().Value;
        Assert.NotNull(options.FallbackPolicy);
        Assert.Contains(options.FallbackPolicy!.Requirements, r => r is Microsoft.AspNetCore.Authorization.Infrastructure.DenyAnonymousAuthorizationRequirement);
    }

    [Fact]
    public void EveryEndpoint_HasAPolicy_OrIsAnonymousFromTheAllowList()
    {
        var problems = new List<string>();
        var anonymous = new List<string>();
        foreach (var endpoint in Endpoints())
        {
            var route = endpoint.RoutePattern.RawText ?? "";
            var isAnonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            var hasPolicy = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Count > 0 || endpoint.Metadata.GetOrderedMetadata<AuthorizationPolicy>().Count > 0;
            var isStaticFile = endpoint.Metadata.GetMetadata<StaticAssetDescriptor>() is not null;
            if (isAnonymous)
            {
                anonymous.Add(route);
                if (hasPolicy) problems.Add($"{route}: both a policy and AllowAnonymous (AllowAnonymous wins)");
                else if (!isStaticFile && !AnonymousRoutes.Contains(route)) problems.Add($"{route}: anonymous but not in the allow-list");
            }
            else if (!hasPolicy && !FallbackOnly.Contains(route))
                problems.Add($"{route} ({endpoint.DisplayName}): no policy and no AllowAnonymous");
            else if (isStaticFile)
                problems.Add($"{route}: a static file that needs a sign-in");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        // Every allow-listed route exists (a stale entry would hide a renamed endpoint), and static files were seen.
        Assert.Empty(AnonymousRoutes.Except(anonymous));
        Assert.Contains(Endpoints(), e => e.Metadata.GetMetadata<StaticAssetDescriptor>() is not null && e.Metadata.GetMetadata<IAllowAnonymous>() is not null);
    }

    [Theory]
    [InlineData("/Account/Login", "sign-in")]
    [InlineData("/Account/Lockout", "lockout-message")]
    [InlineData("/Account/LoginWith2fa", "sign-in-first")]
    [InlineData("/Account/SignedOut?reason=idle", "signed-out-message")]
    [InlineData("/Account/AccessDenied", "拒绝访问")]
    [InlineData("/not-found", "页面不存在")]
    [InlineData("/health", "Healthy")]
    [InlineData("/openapi/v1.json", "/api/v1/classes")]
    [InlineData("/app.css", "{")]
    [InlineData("/_framework/blazor.web.js", "Blazor")]
    public async Task AnonymousEndpoints_AnswerWithoutSigningIn(string path, string expected)
    {
        var client = factory.CreateBrowserLikeClient();
        var response = await client.GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} answered {(int)response.StatusCode} {response.Headers.Location}");
        Assert.Contains(expected, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task CultureSwitch_AndCircuitNegotiation_AreAnonymous()
    {
        var client = factory.CreateBrowserLikeClient();
        var culture = await client.GetAsync("/culture/set?culture=en&redirectUri=%2FAccount%2FLogin");
        Assert.Equal(HttpStatusCode.Redirect, culture.StatusCode);
        Assert.Equal("/Account/Login", culture.Headers.Location?.ToString());

        // The circuit of an anonymous page (not found, the error page) connects: SignalR's negotiation answers with a connection.
        var negotiate = await client.PostAsync("/_blazor/negotiate?negotiateVersion=1", new StringContent(""));
        Assert.Equal(HttpStatusCode.OK, negotiate.StatusCode);
        Assert.Contains("connectionToken", await negotiate.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/exports/audit.csv")]
    [InlineData("/jobs")]
    [InlineData("/job-runs")]
    [InlineData("/Account/Manage")]
    // No endpoint at all, or MapStaticAssets' development fallback: the fallback policy answers, not a 404 that maps the site.
    [InlineData("/no-such-page")]
    [InlineData("/no-such-file.txt")]
    public async Task NonAnonymousPaths_Anonymous_AreSentToSignIn(string path)
    {
        var client = factory.CreateBrowserLikeClient();
        var response = await client.GetAsync(path);
        Assert.True(PortalFactory.IsRedirectToLogin(response), $"{path} answered {(int)response.StatusCode} {response.Headers.Location}");
    }

    [Fact]
    public async Task SignOut_Anonymous_IsSentToSignIn()
    {
        var client = factory.CreateBrowserLikeClient();
        var response = await client.PostAsync("/Account/Logout", new FormUrlEncodedContent([new("returnUrl", "")]));
        Assert.True(PortalFactory.IsRedirectToLogin(response), $"answered {(int)response.StatusCode} {response.Headers.Location}");
    }
}
