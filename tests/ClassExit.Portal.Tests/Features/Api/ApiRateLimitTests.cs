using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
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

namespace ClassExit.Portal.Tests.Features.Api;

/// <summary>
/// The REST API's rate limits (<see cref="ApiRateLimits"/>) on the real portal with low limits (<see cref="RateLimitPortalFactory"/>).
/// Every test uses API keys of its own, so the per-key buckets are its own; the per-organisation buckets each test relies on are
/// used by that test only (client exits of Demo School: the flood test; reads of Demo Finance: the read test).
/// </summary>
public sealed class ApiRateLimitTests(RateLimitPortalFactory factory) : IClassFixture<RateLimitPortalFactory>
{
    /// <summary>A new key of the organisation with every scope, owned by the demo key's owner (an HR member).</summary>
    private async Task<(long Id, string Secret, long OwnerId, long OrganisationId)> NewKeyAsync(string demoKey)
    {
        var secret = "limit-test-" + Guid.NewGuid().ToString("N");
        var demoHash = ApiKey.Hash(demoKey);
        await using var db = factory.SystemDb();
        var demo = await db.ApiKeys.SingleAsync(k => k.KeyHash == demoHash);
        var key = new ApiKey(demo.OrganisationId, "限流测试", demo.OwnerMemberId, secret, DateTimeOffset.UtcNow, ApiScopes.All);
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync();
        return (key.Id, secret, demo.OwnerMemberId, demo.OrganisationId);
    }

    private async Task<HttpRequestMessage> StudentExitAsync(string className)
    {
        var (classId, _, members) = await ExitApiTests.ClassAsync(factory, className);
        return ExitApiTests.Exit(factory, classId, new { member_id = members.First(m => m.Role == ClassRole.Student).MemberId, channel = "pc", verification = "sms" });
    }

    private static async Task<JsonElement> AssertRateLimitedAsync(HttpResponseMessage response, int code, string limit, string limitedBy)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var retryAfter = int.Parse(Assert.Single(response.Headers.GetValues("Retry-After")));
        var problem = await response.JsonAsync();
        Assert.Equal((code, 429, limit, limitedBy), (problem.GetProperty("code").GetInt32(), problem.GetProperty("status").GetInt32(),
            problem.GetProperty("limit").GetString(), problem.GetProperty("limited_by").GetString()));
        Assert.Equal(retryAfter, problem.GetProperty("retry_after_seconds").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("remedy").GetString()));
        return problem;
    }

    [Fact]
    public async Task ClientExitFlood_OneKeyGets429WithRetryAfter_TheOrganisationLimitStopsItsOtherKeys_AnotherOrganisationIsUnaffected()
    {
        var flooder = await NewKeyAsync(DemoSeeder.SchoolApiKey);
        var sibling = await NewKeyAsync(DemoSeeder.SchoolApiKey);
        var finance = await NewKeyAsync(DemoSeeder.FinanceApiKey);
        var api = factory.WithKey(flooder.Secret);

        // Within the key's bucket: answered by the exit rules (the first leaves, the others are not active members any more).
        for (var i = 0; i < RateLimitPortalFactory.ExitsPerKey; i++)
            Assert.NotEqual(HttpStatusCode.TooManyRequests, (await api.SendAsync(await StudentExitAsync("高二(1)班"))).StatusCode);

        // Beyond it: 429, 42902, Retry-After from the bucket (refilled once a day, so far more than a minute), zh-CN by default.
        var zh = await AssertRateLimitedAsync(await api.SendAsync(await StudentExitAsync("高二(1)班")), 42902, "client_exits", "api_key");
        Assert.True(zh.GetProperty("retry_after_seconds").GetInt32() > 60);
        Assert.Contains("调用过于频繁", zh.GetProperty("title").GetString());
        var english = await StudentExitAsync("高二(1)班");
        english.Headers.AcceptLanguage.Add(new StringWithQualityHeaderValue("en"));
        var en = await AssertRateLimitedAsync(await api.SendAsync(english), 42902, "client_exits", "api_key");
        Assert.Equal("Too many calls: the rate limit of this API key or of the organisation is reached.", en.GetProperty("title").GetString());
        Assert.Contains("This API key", en.GetProperty("detail").GetString());
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.TooManyRequests, (await api.SendAsync(await StudentExitAsync("高二(1)班"))).StatusCode);

        // The key's refusals did not spend the organisation's tokens: another key of Demo School has the remaining 3, then the
        // organisation's limit refuses it although its own bucket is not empty.
        var siblingApi = factory.WithKey(sibling.Secret);
        for (var i = 0; i < RateLimitPortalFactory.ExitsPerOrganisation - RateLimitPortalFactory.ExitsPerKey; i++)
            Assert.NotEqual(HttpStatusCode.TooManyRequests, (await siblingApi.SendAsync(await StudentExitAsync("高二(2)班"))).StatusCode);
        await AssertRateLimitedAsync(await siblingApi.SendAsync(await StudentExitAsync("高二(2)班")), 42902, "client_exits", "organisation");

        // Demo Finance, in the same period: its buckets are its own. The exit really runs (200 or 202, not a refusal).
        var financeExit = await factory.WithKey(finance.Secret).SendAsync(await StudentExitAsync("合规培训 1班"));
        Assert.True(financeExit.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted, $"Demo Finance answered {(int)financeExit.StatusCode}");

        // One audit entry per limited key and window, however many calls were refused (flooder: 7, sibling: 1).
        await using var db = factory.SystemDb();
        var entries = await db.AuditEntries.AsNoTracking().Where(a => a.Action == "api.rate_limited").ToListAsync();
        var flooded = Assert.Single(entries, a => a.TargetId == flooder.Id.ToString());
        Assert.Equal((AuditOutcome.Refused, 42902, "ApiKey", flooder.OrganisationId, $"apikey:{flooder.Id}", true),
            (flooded.Outcome, flooded.Code!.Value, flooded.TargetType!, flooded.OrganisationId!.Value, flooded.ActorUserId!, flooded.IsSecurityEvent));
        Assert.Contains("\"limit\":\"client_exits\"", flooded.Details);
        Assert.Contains("\"limited_by\":\"api_key\"", flooded.Details);
        Assert.Contains("\"endpoint\":\"PostClientExit\"", flooded.Details);
        Assert.Contains("\"limited_by\":\"organisation\"", Assert.Single(entries, a => a.TargetId == sibling.Id.ToString()).Details);
        Assert.DoesNotContain(entries, a => a.TargetId == finance.Id.ToString());
    }

    [Fact]
    public async Task Reads_ShareOneBucketPerKey_AnotherKeyOfTheOrganisationAndTheKeysExitsAreUnaffected()
    {
        var reader = await NewKeyAsync(DemoSeeder.FinanceApiKey);
        var other = await NewKeyAsync(DemoSeeder.FinanceApiKey);
        var (classId, _, members) = await ExitApiTests.ClassAsync(factory, "合规培训 2班");
        await using var db = factory.SystemDb();
        var device = await db.Devices.AsNoTracking().Where(d => d.MemberId == reader.OwnerId).Select(d => d.Id).FirstAsync();
        var api = factory.WithKey(reader.Secret);

        // Six different read endpoints take the six tokens of one bucket.
        string[] reads = ["/api/v1/me", "/api/v1/reason-codes", "/api/v1/classes", $"/api/v1/classes/{classId}/members", "/api/v1/quota",
            $"/api/v1/members/{reader.OwnerId}/devices"];
        Assert.Equal(RateLimitPortalFactory.ReadsPerKey, reads.Length);
        foreach (var path in reads)
        {
            var response = await api.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} answered {(int)response.StatusCode}");
        }
        await AssertRateLimitedAsync(await api.GetAsync("/api/v1/me"), 42902, "reads", "api_key");
        await AssertRateLimitedAsync(await api.PostAsJsonAsync($"/api/v1/devices/{device}/sync-ack", new { membership_version = 0 }), 42902, "reads", "api_key");

        Assert.Equal(HttpStatusCode.OK, (await factory.WithKey(other.Secret).GetAsync("/api/v1/me")).StatusCode);
        var exit = await api.SendAsync(ExitApiTests.Exit(factory, classId, new { member_id = members.First(m => m.Role == ClassRole.Student).MemberId, channel = "pc", verification = "sms" }));
        Assert.NotEqual(HttpStatusCode.TooManyRequests, exit.StatusCode);
    }

    /// <summary>A body sent up to its first byte, the rest when <paramref name="gate"/> completes: the call holds its batch slot meanwhile.</summary>
    private sealed class GatedContent(byte[] body, Task gate) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(body.AsMemory(0, 1));
            await stream.FlushAsync();
            await gate;
            await stream.WriteAsync(body.AsMemory(1));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }

    /// <summary>A client straight on the test server: the factory's redirect handler would buffer the whole body before sending.</summary>
    private HttpClient Unbuffered(string secret)
    {
        var client = factory.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        return client;
    }

    private static HttpRequestMessage DryRun(long operatorId, long classId, long memberId, string reasonCode, Task? gate = null)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new { operator_id = operatorId, class_ids = new[] { classId }, member_ids = new[] { memberId },
            reason_code = reasonCode, dry_run = true });
        HttpContent content = gate is null ? new ByteArrayContent(json) : new GatedContent(json, gate);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return new HttpRequestMessage(HttpMethod.Post, "/api/v1/exits/batch") { Content = content };
    }

    [Fact]
    public async Task Batches_AThirdConcurrentBatchOfTheOrganisation_429_42903_WhileAnotherOrganisationsBatchRuns()
    {
        var limits = factory.Services.GetRequiredService<ApiRateLimits>();
        var keys = new[] { await NewKeyAsync(DemoSeeder.SchoolApiKey), await NewKeyAsync(DemoSeeder.SchoolApiKey), await NewKeyAsync(DemoSeeder.SchoolApiKey) };
        var finance = await NewKeyAsync(DemoSeeder.FinanceApiKey);
        var school = await ExitApiTests.ClassAsync(factory, "高一(3)班");
        var financeClass = await ExitApiTests.ClassAsync(factory, "合规培训 3班");
        var student = school.Members.First(m => m.Role == ClassRole.Student).MemberId;
        Assert.Equal(0, limits.RunningBatches(keys[0].OrganisationId));

        // Two batches of Demo School hold their slots (different keys: the limit is the organisation's) until the gate opens.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = keys.Take(RateLimitPortalFactory.ConcurrentBatches)
            .Select(k => Unbuffered(k.Secret).SendAsync(DryRun(k.OwnerId, school.ClassId, student, "200001", gate.Task))).ToList();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (limits.RunningBatches(keys[0].OrganisationId) < RateLimitPortalFactory.ConcurrentBatches && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.Equal(RateLimitPortalFactory.ConcurrentBatches, limits.RunningBatches(keys[0].OrganisationId));

        var third = factory.WithKey(keys[2].Secret);
        var refused = await AssertRateLimitedAsync(await third.SendAsync(DryRun(keys[2].OwnerId, school.ClassId, student, "200001")), 42903,
            "concurrent_batches", "organisation");
        Assert.Equal(5, refused.GetProperty("retry_after_seconds").GetInt32());
        var financeBatch = await factory.WithKey(finance.Secret).SendAsync(DryRun(finance.OwnerId, financeClass.ClassId,
            financeClass.Members.First(m => m.Role == ClassRole.Student).MemberId, "300001"));
        Assert.Equal(HttpStatusCode.OK, financeBatch.StatusCode);

        gate.SetResult();
        foreach (var response in await Task.WhenAll(running)) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, limits.RunningBatches(keys[0].OrganisationId));
        Assert.Equal(HttpStatusCode.OK, (await third.SendAsync(DryRun(keys[2].OwnerId, school.ClassId, student, "200001"))).StatusCode);
    }

    [Fact]
    public async Task DryRuns_AreCountedInTheirOwnBucket_UseNoQuota_AndDoNotStopRealBatches()
    {
        var key = await NewKeyAsync(DemoSeeder.SchoolApiKey);
        var c = await ExitApiTests.ClassAsync(factory, "高一(8)班");
        var students = c.Members.Where(m => m.Role == ClassRole.Student).Select(m => m.MemberId).ToList();
        var api = factory.WithKey(key.Secret, "en");
        var usedBefore = (await (await api.GetAsync("/api/v1/quota")).JsonAsync()).GetProperty("used").GetInt32();

        for (var i = 0; i < RateLimitPortalFactory.DryRunsPerKey; i++)
            Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(DryRun(key.OwnerId, c.ClassId, students[0], "200001"))).StatusCode);
        var refused = await AssertRateLimitedAsync(await api.SendAsync(DryRun(key.OwnerId, c.ClassId, students[0], "200001")), 42902, "dry_runs", "api_key");
        Assert.Contains("dry-run", refused.GetProperty("detail").GetString());
        Assert.Equal(usedBefore, (await (await api.GetAsync("/api/v1/quota")).JsonAsync()).GetProperty("used").GetInt32());

        var real = await api.PostAsJsonAsync("/api/v1/exits/batch", new { operator_id = key.OwnerId, class_ids = new[] { c.ClassId },
            member_ids = new[] { students[1] }, reason_code = "200001" });
        Assert.Equal(HttpStatusCode.OK, real.StatusCode);
        Assert.Equal(usedBefore + 1, (await (await api.GetAsync("/api/v1/quota")).JsonAsync()).GetProperty("used").GetInt32());

        await using var db = factory.SystemDb();
        var entry = await db.AuditEntries.AsNoTracking().SingleAsync(a => a.Action == "api.rate_limited" && a.TargetId == key.Id.ToString());
        Assert.Contains("\"limit\":\"dry_runs\"", entry.Details);
    }

    [Fact]
    public async Task SignInLimiter_StillRefusesOverItsLimit_InTheSameGlobalLimiter()
    {
        var email = $"nobody-{Guid.NewGuid():N}@example.test";
        var client = factory.CreateBrowserLikeClient();
        for (var i = 0; i < RateLimitPortalFactory.SignInPerAccountLimit; i++)
            Assert.Equal(HttpStatusCode.OK, (await factory.SignInAsync(client, email, "wrong-" + i)).StatusCode);
        var refused = await factory.SignInAsync(client, email, "wrong-again");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Single(refused.Headers.GetValues("Retry-After"));
        Assert.Contains("data-testid=\"rate-limited\"", await refused.Content.ReadAsStringAsync());
    }

    /// <summary>The README's rate-limit table ("## The API", "Rate limits").</summary>
    [Fact]
    public void EveryApiEndpoint_IsCountedInTheLimitTheReadmeDocuments()
    {
        var endpoints = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1", StringComparison.Ordinal) == true).ToList();
        Assert.NotEmpty(endpoints);
        var actual = endpoints.ToDictionary(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()!.EndpointName,
            e => e.Metadata.GetMetadata<ApiRateLimitMetadata>()?.Limit);
        var expected = actual.Keys.ToDictionary(name => name, name => (ApiRateLimit?)(name switch
        {
            "PostClientExit" => ApiRateLimit.ClientExits,
            "PostBatchExit" => ApiRateLimit.Batches,
            _ => ApiRateLimit.Reads,
        }));
        Assert.Equal(expected.OrderBy(kv => kv.Key), actual.OrderBy(kv => kv.Key));
        Assert.Equal(11, actual.Count);
    }
}
