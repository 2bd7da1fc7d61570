using System.Net;
using System.Reflection;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ClassExit.Portal.Tests.Features;

[Collection(PortalCollection.Name)]
public class AuthorizationTests(PortalFactory factory)
{
    private static readonly string[] PublicPrefixes = ["/Account", "/not-found", "/Error"];

    public static TheoryData<string> PortalPages()
    {
        var data = new TheoryData<string>();
        foreach (var route in RoutablePages().SelectMany(t => t.GetCustomAttributes<RouteAttribute>()).Select(r => r.Template))
        {
            if (PublicPrefixes.Any(p => route.StartsWith(p, StringComparison.OrdinalIgnoreCase))) continue;
            data.Add(System.Text.RegularExpressions.Regex.Replace(route, "\\{[^}]+\\}", "1"));
        }
        return data;
    }

    private static IEnumerable<Type> RoutablePages() =>
        typeof(Program).Assembly.GetTypes().Where(t => typeof(IComponent).IsAssignableFrom(t) && t.GetCustomAttributes<RouteAttribute>().Any());

    [Fact]
    public void EveryPortalPage_HasANamedPolicy()
    {
        var pages = RoutablePages()
            .Where(t => !t.GetCustomAttributes<RouteAttribute>().All(r => PublicPrefixes.Any(p => r.Template.StartsWith(p, StringComparison.OrdinalIgnoreCase))))
            .ToList();
        Assert.NotEmpty(pages);
        Assert.All(pages, page =>
        {
            var authorize = page.GetCustomAttribute<AuthorizeAttribute>();
            Assert.True(authorize?.Policy is not null, $"{page.Name} has no [Authorize(Policy = ...)]");
        });
    }

    [Theory]
    [MemberData(nameof(PortalPages))]
    public async Task PortalPage_Anonymous_RedirectsToSignIn(string path)
    {
        var client = factory.CreateBrowserLikeClient();
        var response = await client.GetAsync(path);
        Assert.True(PortalFactory.IsRedirectToLogin(response), $"{path} answered {(int)response.StatusCode} {response.Headers.Location}");
    }

    [Fact]
    public async Task EveryApiEndpoint_WithoutKey_Answers401With40101()
    {
        var endpoints = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1", StringComparison.Ordinal) == true)
            .ToList();
        Assert.NotEmpty(endpoints);
        var client = factory.CreateClient();
        foreach (var endpoint in endpoints)
        {
            var path = System.Text.RegularExpressions.Regex.Replace(endpoint.RoutePattern.RawText!, "\\{[^}]+\\}", "1");
            var method = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.FirstOrDefault() ?? "GET";
            var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") });
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} answered {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(40101, (await response.JsonAsync()).GetProperty("code").GetInt32());
        }
    }

    [Theory]
    [InlineData("Bearer not-a-real-key")]
    [InlineData("Bearer ")]
    [InlineData("Basic ZGVtbzpkZW1v")]
    public async Task Api_WrongKey_Answers40101(string header)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", header);
        var response = await client.GetAsync("/api/v1/classes");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(40101, (await response.JsonAsync()).GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Api_RevokedKey_Answers40101()
    {
        var org = await factory.OrganisationIdAsync(ClassExit.Portal.Data.Seed.DemoSeeder.SchoolName);
        await using (var db = factory.SystemDb())
        {
            var owner = db.Members.First(m => m.OrganisationId == org).Id;
            var key = new ClassExit.Portal.Domain.Access.ApiKey(org, "to revoke", owner, "revoked-test-key", DateTimeOffset.UtcNow);
            key.Revoke(DateTimeOffset.UtcNow);
            db.ApiKeys.Add(key);
            await db.SaveChangesAsync();
        }
        var response = await factory.WithKey("revoked-test-key").GetAsync("/api/v1/classes");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task JobsDashboard_PlatformOperatorOnly_AndReadOnly()
    {
        // Hangfire's dashboard spans every organisation: anonymous callers go to the sign-in page, an organisation's admin is refused.
        var anonymous = factory.CreateBrowserLikeClient();
        Assert.True(PortalFactory.IsRedirectToLogin(await anonymous.GetAsync("/jobs")));

        var admin = factory.CreateBrowserLikeClient();
        await factory.SignInAsync(admin, "admin@school.demo");
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.GetAsync("/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.GetAsync("/jobs/recurring")).StatusCode);

        var platform = factory.CreateBrowserLikeClient();
        await factory.SignInAsync(platform, "operator@platform.demo");
        Assert.Equal(HttpStatusCode.OK, (await platform.GetAsync("/jobs")).StatusCode);
        var recurring = await platform.GetAsync("/jobs/recurring");
        Assert.Equal(HttpStatusCode.OK, recurring.StatusCode);
        var html = await recurring.Content.ReadAsStringAsync();
        Assert.Contains(ClassExit.Portal.Features.Retention.RetentionPurgeJob.JobId, html);
        Assert.DoesNotContain("recurring/trigger", html);

        // Read-only: even a platform operator's trigger, with a valid antiforgery token, enqueues nothing.
        var storage = factory.Services.GetRequiredService<Hangfire.JobStorage>();
        string? LastJob()
        {
            using var connection = storage.GetConnection();
            return connection.GetAllEntriesFromHash($"recurring-job:{ClassExit.Portal.Features.Retention.RetentionPurgeJob.JobId}")?.GetValueOrDefault("LastJobId");
        }
        var enqueuedBefore = storage.GetMonitoringApi().EnqueuedCount("default");
        var lastBefore = LastJob();
        var token = System.Text.RegularExpressions.Regex.Match(html, "<meta name=\"csrf-token\" content=\"([^\"]+)\"").Groups[1].Value;
        var header = System.Text.RegularExpressions.Regex.Match(html, "<meta name=\"csrf-header\" content=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(token);
        var trigger = new HttpRequestMessage(HttpMethod.Post, "/jobs/recurring/trigger")
        {
            Content = new FormUrlEncodedContent([new("jobs[]", ClassExit.Portal.Features.Retention.RetentionPurgeJob.JobId)]),
        };
        trigger.Headers.Add(header, token);
        var triggered = await platform.SendAsync(trigger);
        Assert.Equal(HttpStatusCode.Unauthorized, triggered.StatusCode);
        Assert.Equal(enqueuedBefore, storage.GetMonitoringApi().EnqueuedCount("default"));
        Assert.Equal(lastBefore, LastJob());
    }

    [Fact]
    public async Task OpenApiAndHealth_AreServedAnonymously()
    {
        var client = factory.CreateClient();
        var openApi = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, openApi.StatusCode);
        var doc = await openApi.JsonAsync();
        Assert.True(doc.GetProperty("paths").TryGetProperty("/api/v1/classes", out _));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
    }
}
