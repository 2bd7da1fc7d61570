using System.Net;
using System.Net.Http.Json;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Tests.Features.ExitRequests;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Tests.Features.BulkExits;

[Collection(PortalCollection.Name)]
public class BulkExitApiTests(PortalFactory factory)
{
    /// <summary>The operator of a key's batches: the key's owner (operator_id must be the key's owner).</summary>
    private async Task<long> HrOperatorAsync(string apiKey)
    {
        var hash = ApiKey.Hash(apiKey);
        await using var db = factory.SystemDb();
        return await db.ApiKeys.Where(k => k.KeyHash == hash).Select(k => k.OwnerMemberId).SingleAsync();
    }

    private static HttpRequestMessage Batch(object body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/exits/batch") { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return request;
    }

    [Fact]
    public async Task Batch_RemovesInternsFromTrainingClasses_PerItemResultsAndQuotaHeaders()
    {
        var hr = await HrOperatorAsync(DemoSeeder.SchoolApiKey);
        var a = await ExitApiTests.ClassAsync(factory, "高三(2)班");
        var b = await ExitApiTests.ClassAsync(factory, "高三(3)班");
        var interns = a.Members.Where(m => m.Role == ClassRole.Student).Take(3).Select(m => m.MemberId).ToList();
        var api = factory.WithKey(DemoSeeder.SchoolApiKey);
        var before = await (await api.GetAsync("/api/v1/quota")).JsonAsync();

        var response = await api.SendAsync(Batch(new { operator_id = hr, class_ids = new[] { a.ClassId, b.ClassId, 987654L },
            member_ids = interns, reason_code = "200002", silent_mode = true }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((before.GetProperty("remaining").GetInt32() - 1).ToString(), response.Headers.GetValues("X-RateLimit-Remaining").Single());
        Assert.Equal("500", response.Headers.GetValues("X-RateLimit-Limit").Single());
        var body = await response.JsonAsync();
        var results = body.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(9, results.Count);
        var inA = results.Where(r => r.GetProperty("class_id").GetInt64() == a.ClassId).ToList();
        Assert.Equal(interns.Count, inA.Count);
        Assert.All(inA, r => Assert.Equal("completed", r.GetProperty("status").GetString()));
        var unknown = results.Where(r => r.GetProperty("class_id").GetInt64() == 987654).ToList();
        Assert.Equal(interns.Count, unknown.Count);
        Assert.All(unknown, r =>
        {
            Assert.Equal("refused", r.GetProperty("status").GetString());
            Assert.Equal(40401, r.GetProperty("code").GetInt32());
        });
        // The interns are not in class B: each is skipped there.
        var notInB = results.Where(r => r.GetProperty("class_id").GetInt64() == b.ClassId && !b.Members.Any(m => m.MemberId == r.GetProperty("member_id").GetInt64())).ToList();
        Assert.Equal(interns.Count, notInB.Count);
        Assert.All(notInB, r => Assert.Equal("skipped", r.GetProperty("status").GetString()));
        Assert.Equal(before.GetProperty("remaining").GetInt32() - 1, body.GetProperty("quota").GetProperty("remaining").GetInt32());

        var batchId = body.GetProperty("batch_id").GetInt64();
        await using var db = factory.SystemDb();
        var removed = await db.Memberships.Where(m => m.ClassId == a.ClassId && interns.Contains(m.MemberId)).ToListAsync();
        Assert.Equal(interns.Count, removed.Count);
        Assert.All(removed, m => Assert.Equal(MembershipState.Removed, m.State));
        var requests = await db.ExitRequests.Where(e => e.ClassId == a.ClassId && interns.Contains(e.MemberId)).ToListAsync();
        Assert.Equal(interns.Count, requests.Count);
        Assert.All(requests, r => Assert.Equal((ExitKind.HrBatch, "200002", true, hr), (r.Kind, r.ReasonCode!, r.Silent, r.RequestedByMemberId!.Value)));
        // Silent mode suppresses notifications, never audit entries.
        Assert.False(await db.ExitNotifications.AnyAsync(n => n.ClassId == a.ClassId && interns.Contains(n.MemberId)));
        Assert.Equal(3, await db.AuditEntries.CountAsync(x => x.Action == "exit.hr_removed" && x.ClassId == a.ClassId && interns.Contains(x.MemberId!.Value)));
        var batch = await db.BatchExits.SingleAsync(x => x.Id == batchId);
        Assert.Equal((9, 3, 9), (batch.Processed, batch.Completed, batch.ItemCount));
    }

    [Fact]
    public async Task Batch_OwnerBlacklistFreezeAndKeyRulesStillApply()
    {
        var hr = await HrOperatorAsync(DemoSeeder.SchoolApiKey);
        var locked = await ExitApiTests.ClassAsync(factory, "校务委员会（禁止退出）");
        var frozen = await ExitApiTests.ClassAsync(factory, "高三(13)班 期末冲刺");
        var owner = await ExitApiTests.ClassAsync(factory, "高三(4)班");
        var api = factory.WithKey(DemoSeeder.SchoolApiKey);

        async Task<int?> CodeOf(long classId, long memberId)
        {
            var body = await (await api.SendAsync(Batch(new { operator_id = hr, class_ids = new[] { classId }, member_ids = new[] { memberId }, reason_code = "200001" }))).JsonAsync();
            var item = body.GetProperty("results")[0];
            Assert.Equal("refused", item.GetProperty("status").GetString());
            return item.GetProperty("code").GetInt32();
        }
        Assert.Equal(50201, await CodeOf(locked.ClassId, locked.Members.First(m => m.Role == ClassRole.Student).MemberId));
        Assert.Equal(50202, await CodeOf(frozen.ClassId, frozen.Members.First(m => m.Role == ClassRole.Student).MemberId));
        Assert.Equal(50101, await CodeOf(owner.ClassId, owner.OwnerId));
    }

    [Fact]
    public async Task DryRun_EvaluatesEverythingChangesNothingUsesNoQuota()
    {
        var hr = await HrOperatorAsync(DemoSeeder.SchoolApiKey);
        var c = await ExitApiTests.ClassAsync(factory, "高三(5)班");
        var students = c.Members.Where(m => m.Role == ClassRole.Student).Take(2).Select(m => m.MemberId).ToList();
        var api = factory.WithKey(DemoSeeder.SchoolApiKey);
        var before = (await (await api.GetAsync("/api/v1/quota")).JsonAsync()).GetProperty("used").GetInt32();
        var body = await (await api.SendAsync(Batch(new { operator_id = hr, class_ids = new[] { c.ClassId }, member_ids = students.Append(c.OwnerId), reason_code = "200001", dry_run = true }))).JsonAsync();
        var statuses = body.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetString()).ToList();
        Assert.Equal(["completed", "completed", "refused"], statuses);
        Assert.Equal(before, (await (await api.GetAsync("/api/v1/quota")).JsonAsync()).GetProperty("used").GetInt32());
        await using var db = factory.SystemDb();
        var memberships = await db.Memberships.Where(m => m.ClassId == c.ClassId && students.Contains(m.MemberId)).ToListAsync();
        Assert.Equal(2, memberships.Count);
        Assert.All(memberships, m => Assert.Equal(MembershipState.Active, m.State));
    }

    [Fact]
    public async Task IdempotencyKey_ReplayReturnsStoredBodyWithoutQuota_DifferentBodyIs40901()
    {
        var hr = await HrOperatorAsync(DemoSeeder.SchoolApiKey);
        var c = await ExitApiTests.ClassAsync(factory, "高三(6)班");
        var student = c.Members.First(m => m.Role == ClassRole.Student).MemberId;
        var api = factory.WithKey(DemoSeeder.SchoolApiKey);
        var key = "reorg-" + Guid.NewGuid();
        var first = await api.SendAsync(Batch(new { operator_id = hr, class_ids = new[] { c.ClassId }, member_ids = new[] { student }, reason_code = "200001" }, key));
        var firstBody = await first.Content.ReadAsStringAsync();
        var used = (await (await api.GetAsync("/api/v1/quota")).JsonAsync()).GetProperty("used").GetInt32();

        // Same body written differently (key order, spacing) is the same body.
        var replay = new HttpRequestMessage(HttpMethod.Post, "/api/v1/exits/batch")
        {
            Content = new StringContent($"{{ \"reason_code\": \"200001\", \"member_ids\": [{student}], \"class_ids\": [{c.ClassId}], \"operator_id\": {hr} }}",
                System.Text.Encoding.UTF8, "application/json"),
        };
        replay.Headers.Add("Idempotency-Key", key);
        var second = await api.SendAsync(replay);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(firstBody, await second.Content.ReadAsStringAsync());
        Assert.Equal(used, (await (await api.GetAsync("/api/v1/quota")).JsonAsync()).GetProperty("used").GetInt32());

        var conflict = await api.SendAsync(Batch(new { operator_id = hr, class_ids = new[] { c.ClassId }, member_ids = new[] { student }, reason_code = "100001" }, key));
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal(40901, (await conflict.JsonAsync()).GetProperty("code").GetInt32());
    }

    [Theory]
    [InlineData("{\"operator_id\":1,\"class_ids\":[],\"member_ids\":[1],\"reason_code\":\"200001\"}", 40002)]
    [InlineData("{\"operator_id\":1,\"class_ids\":[1],\"member_ids\":[],\"reason_code\":\"200001\"}", 40002)]
    [InlineData("{\"class_ids\":[1],\"member_ids\":[1],\"reason_code\":\"200001\"}", 40002)]
    [InlineData("{\"operator_id\":1,\"class_ids\":[1],\"member_ids\":[1],\"reason_code\":\"20001\"}", 40001)]
    [InlineData("{\"operator_id\":1,\"class_ids\":[1],\"member_ids\":[1],\"reason_code\":\"2000012\"}", 40001)]
    [InlineData("{\"operator_id\":1,\"class_ids\":[1],\"member_ids\":[1],\"reason_code\":\"999999\"}", 40001)]
    [InlineData("{\"operator_id\":1,\"class_ids\":[1],\"member_ids\":[1],\"reason_code\":\"300001\"}", 40001)]
    [InlineData("{\"operator_id\":5,\"class_ids\":[1],\"member_ids\":[1],\"reason_code\":\"200001\"}", 40301)]
    [InlineData("not json", 40002)]
    public async Task Batch_BadRequests_GetTheirCodesAndRateLimitHeaders(string json, int code)
    {
        var response = await factory.WithKey(DemoSeeder.SchoolApiKey).SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/exits/batch")
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        });
        Assert.Equal(code, (await response.JsonAsync()).GetProperty("code").GetInt32());
        if (code != 40002 || json != "not json") Assert.True(response.Headers.Contains("X-RateLimit-Remaining"));
    }

    [Fact]
    public async Task Batch_ListLimits_101ClassesOr1001Members_40002()
    {
        var api = factory.WithKey(DemoSeeder.SchoolApiKey);
        var r1 = await api.SendAsync(Batch(new { operator_id = 1, class_ids = Enumerable.Range(1, 101), member_ids = new[] { 1 }, reason_code = "200001" }));
        Assert.Equal(40002, (await r1.JsonAsync()).GetProperty("code").GetInt32());
        var r2 = await api.SendAsync(Batch(new { operator_id = 1, class_ids = new[] { 1 }, member_ids = Enumerable.Range(1, 1001), reason_code = "200001" }));
        Assert.Equal(40002, (await r2.JsonAsync()).GetProperty("code").GetInt32());
    }

    /// <summary>600 concurrent calls against a quota of 500, counted in a real SQLite file: exactly 500 succeed, 100 get 42901.</summary>
    [Fact]
    public async Task Quota_600ConcurrentCalls_Exactly500Succeed()
    {
        const string secret = "quota-race-key";
        long hr;
        await using (var db = factory.SystemDb())
        {
            var org = new Organisation("Quota Race Co", "Asia/Shanghai", OrganisationKind.Enterprise, new ExitPolicy { DailyBatchQuota = 500 });
            db.Organisations.Add(org);
            await db.SaveChangesAsync();
            var member = new Member(org.Id, "HR 并发", "Q-HR");
            member.GrantHrPermission();
            db.Members.Add(member);
            await db.SaveChangesAsync();
            db.ReasonCodes.Add(new ReasonCode(org.Id, "400001", "并发测试"));
            db.ApiKeys.Add(new ApiKey(org.Id, "race", member.Id, secret, DateTimeOffset.UtcNow));
            await db.SaveChangesAsync();
            hr = member.Id;
        }
        var api = factory.WithKey(secret);
        var calls = Enumerable.Range(0, 600).Select(_ => Task.Run(async () =>
        {
            var response = await api.SendAsync(Batch(new { operator_id = hr, class_ids = new[] { 1 }, member_ids = new[] { hr }, reason_code = "400001" }));
            return (response.StatusCode, response.Headers.RetryAfter);
        }));
        var outcomes = await Task.WhenAll(calls);

        Assert.Equal(500, outcomes.Count(o => o.StatusCode == HttpStatusCode.OK));
        Assert.Equal(100, outcomes.Count(o => o.StatusCode == HttpStatusCode.TooManyRequests));
        Assert.All(outcomes.Where(o => o.StatusCode == HttpStatusCode.TooManyRequests), o => Assert.True(o.RetryAfter?.Delta > TimeSpan.Zero));
        var quota = await (await api.GetAsync("/api/v1/quota")).JsonAsync();
        Assert.Equal(500, quota.GetProperty("used").GetInt32());
        Assert.Equal(0, quota.GetProperty("remaining").GetInt32());
        var exhausted = await (await api.SendAsync(Batch(new { operator_id = hr, class_ids = new[] { 1 }, member_ids = new[] { hr }, reason_code = "400001" }))).JsonAsync();
        Assert.Equal(42901, exhausted.GetProperty("code").GetInt32());
    }
}
