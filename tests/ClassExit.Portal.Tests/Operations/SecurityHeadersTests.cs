using System.Net;
using System.Text;
using ClassExit.Portal.Infrastructure.Security;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ClassExit.Portal.Tests.Operations;

/// <summary>Every kind of response carries the security headers (ADR 0014): pages, redirects, API answers and refusals, static files,
/// 404s, health and metrics, the jobs dashboard, the CSP report endpoint.</summary>
[Collection(PortalCollection.Name)]
public class SecurityHeadersTests(PortalFactory factory)
{
    internal static void AssertSecurityHeaders(HttpResponseMessage response, string what)
    {
        string One(string name) =>
            response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : throw new Xunit.Sdk.XunitException($"{what}: no {name} header");
        var csp = One("Content-Security-Policy");
        Assert.Contains("default-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("object-src 'none'", csp);
        Assert.Contains("report-uri /csp-report", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
        var scripts = csp.Split(';').Select(d => d.Trim()).Single(d => d.StartsWith("script-src "));
        Assert.DoesNotContain("unsafe-inline", scripts);
        Assert.Equal("nosniff", One("X-Content-Type-Options"));
        Assert.Equal("DENY", One("X-Frame-Options"));
        Assert.Equal("same-origin", One("Referrer-Policy"));
        Assert.Equal("same-origin", One("Cross-Origin-Opener-Policy"));
        Assert.Contains("camera=()", One("Permissions-Policy"));
        Assert.Contains("csp=", One("Reporting-Endpoints"));
    }

    [Fact]
    public async Task EveryResponseKind_CarriesTheHeaders()
    {
        var browser = factory.CreateBrowserLikeClient();
        var signedIn = factory.CreateBrowserLikeClient();
        await factory.SignInAsync(signedIn, "admin@school.demo");
        var api = factory.WithKey("demo-school-hr-key");
        var anonymous = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var metrics = factory.WithKey(PortalFactory.MetricsKey);
        var cases = new (string What, Func<Task<HttpResponseMessage>> Send, HttpStatusCode Status)[]
        {
            ("sign-in page", () => browser.GetAsync("/Account/Login"), HttpStatusCode.OK),
            ("redirect to sign-in", () => anonymous.GetAsync("/classes"), HttpStatusCode.Redirect),
            ("API answer", () => api.GetAsync("/api/v1/me"), HttpStatusCode.OK),
            ("API refusal", () => anonymous.GetAsync("/api/v1/me"), HttpStatusCode.Unauthorized),
            ("static file", () => anonymous.GetAsync("/favicon.png"), HttpStatusCode.OK),
            ("framework script", () => anonymous.GetAsync("/_framework/blazor.web.js"), HttpStatusCode.OK),
            ("signed-in page", () => signedIn.GetAsync("/classes"), HttpStatusCode.OK),
            ("404 page", () => signedIn.GetAsync("/no-such-page"), HttpStatusCode.NotFound),
            ("health", () => anonymous.GetAsync("/health/ready"), HttpStatusCode.OK),
            ("metrics", () => metrics.GetAsync("/metrics"), HttpStatusCode.OK),
            ("metrics refused", () => anonymous.GetAsync("/metrics"), HttpStatusCode.Unauthorized),
            ("jobs dashboard, anonymous", () => anonymous.GetAsync("/jobs"), HttpStatusCode.Redirect),
            ("CSP report", () => anonymous.PostAsync("/csp-report", CspReportTests.Report("img-src")), HttpStatusCode.NoContent),
        };
        foreach (var (what, send, status) in cases)
        {
            using var response = await send();
            Assert.True(response.StatusCode == status, $"{what}: {(int)response.StatusCode}, expected {(int)status}");
            AssertSecurityHeaders(response, what);
        }
    }

    [Fact]
    public async Task Page_CarriesAFreshNonce_OnItsImportMap()
    {
        var client = factory.CreateBrowserLikeClient();
        var nonces = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await client.GetAsync("/Account/Login");
            var csp = response.Headers.GetValues("Content-Security-Policy").Single();
            var nonce = System.Text.RegularExpressions.Regex.Match(csp, "'nonce-([^']+)'").Groups[1].Value;
            Assert.NotEmpty(nonce);
            // The renderer encodes the attribute ('+' as &#x2B;); the browser decodes it back.
            var html = System.Net.WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
            Assert.Contains($"<script type=\"importmap\" nonce=\"{nonce}\"", html);
            nonces.Add(nonce);
        }
        Assert.NotEqual(nonces[0], nonces[1]);
    }

    [Fact]
    public async Task JobsDashboard_HasItsOwnPolicy_WithoutInlineStyleElements()
    {
        var client = factory.CreateBrowserLikeClient();
        await factory.SignInAsync(client, "operator@platform.demo");
        using var response = await client.GetAsync("/jobs");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertSecurityHeaders(response, "jobs dashboard");
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        // Inline styles (its charts insert a <style> element), never inline scripts.
        Assert.Contains("style-src 'self' 'unsafe-inline';", csp);
        Assert.Contains("script-src 'self';", csp);
        Assert.DoesNotContain("nonce-", csp);
    }

    [Fact]
    public async Task ForwardedHeaders_FromAnUnconfiguredProxy_AreIgnored()
    {
        // No ForwardedHeaders:KnownProxies in the test host: a client cannot claim HTTPS (or another address) by sending the header.
        var client = factory.CreateBrowserLikeClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/Account/Login");
        request.Headers.Add("X-Forwarded-Proto", "https");
        using var response = await client.SendAsync(request);
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("ws://localhost", csp);
        Assert.DoesNotContain("wss://", csp);
        Assert.DoesNotContain("upgrade-insecure-requests", csp);
    }
}

/// <summary>
/// Outside Development: HSTS over HTTPS, HTTP sent to HTTPS (but health probes), the error page of an unhandled exception with the
/// headers, and proxies believed when configured.
/// </summary>
public sealed class ProductionSecurityHeadersTests(ProductionSecurityHeadersTests.ProductionPortalFactory factory)
    : IClassFixture<ProductionSecurityHeadersTests.ProductionPortalFactory>
{
    public sealed class ProductionPortalFactory : PortalFactory
    {
        protected override void ConfigureMore(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("https_port", "443");
            builder.UseSetting("ForwardedHeaders:KnownProxies:0", "10.9.8.7");
            builder.ConfigureServices(s => s.AddTransient<IStartupFilter, ThrowingPath>());
        }
    }

    /// <summary>A path past every endpoint that throws: the portal's own exception handler answers it.</summary>
    private sealed class ThrowingPath : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.Use((HttpContext context, RequestDelegate _) =>
                context.Request.Path == "/test-throws" ? throw new InvalidOperationException("test failure") : Task.CompletedTask);
        };
    }

    private HttpClient Client(string baseAddress) => factory.CreateClient(new WebApplicationFactoryClientOptions
    {
        AllowAutoRedirect = false,
        BaseAddress = new Uri(baseAddress),
    });

    [Fact]
    public async Task Https_GetsHsts_AndTheUpgradeDirective()
    {
        using var response = await Client("https://portal.example/").GetAsync("/Account/Login");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        SecurityHeadersTests.AssertSecurityHeaders(response, "https page");
        Assert.Contains("max-age=31536000", response.Headers.GetValues("Strict-Transport-Security").Single());
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("connect-src 'self' wss://portal.example", csp);
        Assert.Contains("upgrade-insecure-requests", csp);
        Assert.Contains("report-to csp", csp);
    }

    [Fact]
    public async Task Http_IsRedirectedToHttps_ButHealthIsNot()
    {
        var client = Client("http://portal.example/");
        using var page = await client.GetAsync("/Account/Login");
        Assert.Equal(HttpStatusCode.TemporaryRedirect, page.StatusCode);
        Assert.Equal("https://portal.example/Account/Login", page.Headers.Location?.ToString());
        SecurityHeadersTests.AssertSecurityHeaders(page, "redirect to https");
        using var health = await client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task UnhandledException_ErrorPage_CarriesTheHeaders()
    {
        // Signed in: an unknown path is the sign-in page's for anyone else.
        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://portal.example/"), AllowAutoRedirect = false });
        await factory.SignInAsync(client, "admin@school.demo");
        using var response = await client.GetAsync("/test-throws");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        SecurityHeadersTests.AssertSecurityHeaders(response, "error page");
        Assert.Contains("text/html", response.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task ConfiguredProxy_IsBelieved_OthersAreNot()
    {
        async Task<HttpResponseMessage> FromAsync(string address)
        {
            var handler = factory.Server.CreateHandler(c => c.Connection.RemoteIpAddress = IPAddress.Parse(address));
            using var client = new HttpClient(handler) { BaseAddress = new Uri("http://portal.example/") };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/Account/Login");
            request.Headers.Add("X-Forwarded-Proto", "https");
            request.Headers.Add("X-Forwarded-For", "203.0.113.9");
            return await client.SendAsync(request);
        }

        // A client that is not the configured proxy cannot claim HTTPS: it is sent there.
        using var ignored = await FromAsync("203.0.113.50");
        Assert.Equal(HttpStatusCode.TemporaryRedirect, ignored.StatusCode);
        // The configured proxy says the client spoke HTTPS: no redirect, and the circuit's socket is wss.
        using var believed = await FromAsync("10.9.8.7");
        Assert.Equal(HttpStatusCode.OK, believed.StatusCode);
        Assert.Contains("wss://portal.example", believed.Headers.GetValues("Content-Security-Policy").Single());
    }
}
