using System.Net;
using System.Net.Http.Json;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Tests.Features.ExitRequests;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ClassExit.Portal.Tests.Features.ApiKeys;

/// <summary>Every API endpoint names the scope it needs; a key without it gets 40302, audited, and nothing changes.</summary>
[Collection(PortalCollection.Name)]
public class ApiScopeTests(PortalFactory factory)
{
    /// <summary>The README's scope table ("## The API", "Scopes").</summary>
    private static readonly Dictionary<string, string> Documented = new()
    {
        ["GET /api/v1/me"] = ApiScopes.Read,
        ["GET /api/v1/reason-codes"] = ApiScopes.Read,
        ["GET /api/v1/classes"] = ApiScopes.Read,
        ["GET /api/v1/classes/{classId:long}/members"] = ApiScopes.Read,
        ["GET /api/v1/exits/{exitRequestId:long}"] = ApiScopes.Read,
        ["POST /api/v1/classes/{classId:long}/exits"] = ApiScopes.ClientExits,
        ["POST /api/v1/exits/batch"] = ApiScopes.BatchExits,
        ["GET /api/v1/exits/batch/{batchId:long}"] = ApiScopes.BatchExits,
        ["GET /api/v1/quota"] = ApiScopes.BatchExits,
        ["GET /api/v1/members/{memberId:long}/devices"] = ApiScopes.Devices,
        ["POST /api/v1/devices/{deviceId}/sync-ack"] = ApiScopes.Devices,
    };

    private List<RouteEndpoint> ApiEndpoints() =>
        factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1", StringComparison.Ordinal) == true).ToList();

    private static string Describe(RouteEndpoint e) =>
        $"{e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Single()} {e.RoutePattern.RawText}";

    [Fact]
    public void EveryApiEndpoint_CarriesAScope()
    {
        var endpoints = ApiEndpoints();
        Assert.NotEmpty(endpoints);
        Assert.All(endpoints, e =>
        {
            var scope = e.Metadata.GetMetadata<RequiredApiScope>();
            Assert.True(scope is not null, $"{Describe(e)} has no .RequireScope(...)");
            Assert.True(ApiScopes.IsKnown(scope.Scope), $"{Describe(e)}: unknown scope {scope.Scope}");
        });
    }

    [Fact]
    public void EveryApiEndpoint_NeedsTheScopeTheReadmeDocuments()
    {
        var actual = ApiEndpoints().ToDictionary(Describe, e => e.Metadata.GetMetadata<RequiredApiScope>()?.Scope);
        Assert.Equal(Documented.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} → {kv.Value}"),
            actual.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} → {kv.Value}"));
    }

    /// <summary>A key of Demo School owned by the demo key's owner, with only <paramref name="scopes"/>.</summary>
    private async Task<(long Id, string Secret, long OwnerId)> SchoolKeyAsync(params string[] scopes)
    {
        var secret = "scope-test-" + Guid.NewGuid().ToString("N");
        var demoHash = ApiKey.Hash(DemoSeeder.SchoolApiKey);
        await using var db = factory.SystemDb();
        var demo = await db.ApiKeys.SingleAsync(k => k.KeyHash == demoHash);
        var key = new ApiKey(demo.OrganisationId, "权限范围测试", demo.OwnerMemberId, secret, DateTimeOffset.UtcNow, scopes);
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync();
        return (key.Id, secret, demo.OwnerMemberId);
    }

    [Fact]
    public async Task ReadOnlyKey_IsRefusedOnExitsBatchAndSyncAck_40302_AuditedOnceEach_AndNothingChanges()
    {
        var (keyId, secret, owner) = await SchoolKeyAsync(ApiScopes.Read);
        var (classId, _, members) = await ExitApiTests.ClassAsync(factory, "高一(5)班");
        var student = members.First(m => m.Role == ClassRole.Student).MemberId;
        var school = await factory.OrganisationIdAsync(DemoSeeder.SchoolName);
        await using var before = factory.SystemDb();
        var device = await before.Devices.AsNoTracking().Where(d => d.OrganisationId == school).OrderBy(d => d.Id).FirstAsync();
        var batchesBefore = await before.BatchExits.CountAsync(b => b.OrganisationId == school);
        var api = factory.WithKey(secret, "en");

        var calls = new (HttpRequestMessage Request, string Scope, string Endpoint)[]
        {
            (ExitApiTests.Exit(factory, classId, new { member_id = student, channel = "mobile", verification = "biometric" }), ApiScopes.ClientExits, "PostClientExit"),
            (new HttpRequestMessage(HttpMethod.Post, "/api/v1/exits/batch")
            {
                Content = JsonContent.Create(new { operator_id = owner, class_ids = new[] { classId }, member_ids = new[] { student }, reason_code = "200001" }),
            }, ApiScopes.BatchExits, "PostBatchExit"),
            (new HttpRequestMessage(HttpMethod.Post, $"/api/v1/devices/{device.Id}/sync-ack")
            {
                Content = JsonContent.Create(new { membership_version = 0 }),
            }, ApiScopes.Devices, "PostSyncAck"),
        };
        foreach (var (request, scope, _) in calls)
        {
            var response = await api.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.JsonAsync();
            Assert.Equal(40302, problem.GetProperty("code").GetInt32());
            Assert.Equal(scope, problem.GetProperty("required_scope").GetString());
            Assert.Contains(scope, problem.GetProperty("detail").GetString());
        }

        await using var db = factory.SystemDb();
        Assert.Equal(MembershipState.Active, await db.Memberships.Where(m => m.ClassId == classId && m.MemberId == student).Select(m => m.State).SingleAsync());
        Assert.False(await db.ExitRequests.AnyAsync(e => e.ClassId == classId && e.MemberId == student));
        Assert.Equal(batchesBefore, await db.BatchExits.CountAsync(b => b.OrganisationId == school));
        var after = await db.Devices.AsNoTracking().SingleAsync(d => d.Id == device.Id);
        Assert.Equal((device.AcknowledgedVersion, device.AcknowledgedAt), (after.AcknowledgedVersion, after.AcknowledgedAt));

        var refusals = await db.AuditEntries.Where(a => a.ActorUserId == $"apikey:{keyId}").ToListAsync();
        Assert.Equal(calls.Select(c => c.Endpoint).Order(), refusals.Select(a => a.TargetId!).Order());
        Assert.All(refusals, a =>
        {
            Assert.Equal(("access.refused", AuditOutcome.Refused, 40302, "ApiEndpoint", school), (a.Action, a.Outcome, a.Code!.Value, a.TargetType!, a.OrganisationId!.Value));
            Assert.Contains($"\"missing_scope\":\"{calls.Single(c => c.Endpoint == a.TargetId).Scope}\"", a.Details);
        });
    }

    [Fact]
    public async Task ReadOnlyKey_IsAllowedOnEveryRead()
    {
        var (_, secret, _) = await SchoolKeyAsync(ApiScopes.Read);
        var (classId, _, _) = await ExitApiTests.ClassAsync(factory, "高一(5)班");
        var school = await factory.OrganisationIdAsync(DemoSeeder.SchoolName);
        await using var db = factory.SystemDb();
        var exitId = await db.ExitRequests.Where(e => e.OrganisationId == school).OrderBy(e => e.Id).Select(e => e.Id).FirstAsync();
        var api = factory.WithKey(secret);

        string[] reads = ["/api/v1/me", "/api/v1/reason-codes", "/api/v1/classes", $"/api/v1/classes/{classId}/members", $"/api/v1/exits/{exitId}"];
        foreach (var path in reads)
        {
            var response = await api.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} answered {(int)response.StatusCode}");
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await api.GetAsync("/api/v1/quota")).StatusCode);
    }

    [Fact]
    public async Task BatchOnlyKey_IsRefusedOnReads_AndAllowedOnQuota()
    {
        var (_, secret, _) = await SchoolKeyAsync(ApiScopes.BatchExits);
        var api = factory.WithKey(secret, "zh-CN");
        var refused = await api.GetAsync("/api/v1/classes");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var problem = await refused.JsonAsync();
        Assert.Equal((40302, "read"), (problem.GetProperty("code").GetInt32(), problem.GetProperty("required_scope").GetString()));
        Assert.Contains("权限范围", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/quota")).StatusCode);
    }

    // Listing a member's device ids (what X-Device-Id must name, 50205) takes the devices scope, not read.
    [Fact]
    public async Task ReadOnlyKey_CannotListAMembersDevices_40302()
    {
        var (_, secret, owner) = await SchoolKeyAsync(ApiScopes.Read);
        var refused = await factory.WithKey(secret).GetAsync($"/api/v1/members/{owner}/devices");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var problem = await refused.JsonAsync();
        Assert.Equal((40302, ApiScopes.Devices), (problem.GetProperty("code").GetInt32(), problem.GetProperty("required_scope").GetString()));
    }

    /// <summary>api.md's examples use the demo keys for every endpoint.</summary>
    [Theory]
    [InlineData(DemoSeeder.SchoolApiKey)]
    [InlineData(DemoSeeder.FinanceApiKey)]
    public async Task DemoKeys_KeepEveryScope(string secret)
    {
        var hash = ApiKey.Hash(secret);
        await using var db = factory.SystemDb();
        var key = await db.ApiKeys.AsNoTracking().SingleAsync(k => k.KeyHash == hash);
        Assert.Equal(ApiScopes.All, ApiScopes.All.Where(key.HasScope));

        var api = factory.WithKey(secret);
        var me = await (await api.GetAsync("/api/v1/me")).JsonAsync();
        Assert.Equal(key.OwnerMemberId, me.GetProperty("owner_member_id").GetInt64());
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/quota")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/api/v1/members/{key.OwnerMemberId}/devices")).StatusCode);
    }
}
