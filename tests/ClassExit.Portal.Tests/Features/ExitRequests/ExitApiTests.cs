using System.Net;
using System.Net.Http.Json;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Tests.Features.ExitRequests;

/// <summary>The client exit API (api.md) against the real portal and the demo data. Each test uses its own class.</summary>
[Collection(PortalCollection.Name)]
public class ExitApiTests(PortalFactory factory)
{
    internal static async Task<(long ClassId, long OwnerId, List<(long MemberId, ClassRole Role)> Members)> ClassAsync(PortalFactory factory, string name)
    {
        await using var db = factory.SystemDb();
        var c = await db.Classes.SingleAsync(x => x.Name == name);
        var members = await db.Memberships.Where(m => m.ClassId == c.Id && m.State == MembershipState.Active).OrderBy(m => m.Id)
            .Select(m => new { m.MemberId, m.Role }).ToListAsync();
        return (c.Id, c.OwnerMemberId, members.Select(m => (m.MemberId, m.Role)).ToList());
    }

    /// <summary>
    /// A client exit; without <paramref name="deviceId"/> it comes from the leaving member's first registered device (the body's
    /// <c>member_id</c>), as a real client's would: a device the member never registered is refused with 50205.
    /// </summary>
    internal static HttpRequestMessage Exit(PortalFactory factory, long classId, object body, string version = "3.1.10", string? deviceId = null,
        DateTimeOffset? time = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/classes/{classId}/exits") { Content = JsonContent.Create(body) };
        request.Headers.Add("X-Client-Version", version);
        request.Headers.Add("X-Device-Id", deviceId ?? DeviceOf(factory, body) ?? "test-device");
        request.Headers.Add("X-Device-Time", (time ?? DateTimeOffset.UtcNow).ToString("yyyy-MM-ddTHH:mm:sszzz"));
        return request;
    }

    /// <summary>The first registered device of the body's <c>member_id</c>, or null (no member, or none registered).</summary>
    internal static string? DeviceOf(PortalFactory factory, object body)
    {
        if (body.GetType().GetProperty("member_id")?.GetValue(body) is not long memberId) return null;
        using var db = factory.SystemDb();
        return db.Devices.Where(d => d.MemberId == memberId).OrderBy(d => d.Id).Select(d => d.Id).FirstOrDefault();
    }

    [Fact]
    public async Task StudentExit_CompletesAtOnce_AndCarriesOutEveryConsequence()
    {
        var (classId, ownerId, members) = await ClassAsync(factory, "高二(1)班");
        var student = members.First(m => m.Role == ClassRole.Student).MemberId;
        long docId, pollId, replayId, versionBefore;
        var org = await factory.OrganisationIdAsync(DemoSeeder.SchoolName);
        await using (var db = factory.SystemDb())
        {
            var doc = new SharedDocument(org, classId, student, "我的笔记");
            var poll = new Poll(org, classId, student, "我的投票", null);
            var replay = new LiveReplay(org, classId, student, "我的回放");
            db.AddRange(doc, poll, replay);
            db.ChatMessages.Add(new ChatMessage(org, classId, student, "再见", DateTimeOffset.UtcNow.AddDays(-1)));
            await db.SaveChangesAsync();
            (docId, pollId, replayId) = (doc.Id, poll.Id, replay.Id);
            versionBefore = await db.Members.Where(m => m.Id == student).Select(m => m.MembershipVersion).SingleAsync();
        }

        var api = factory.WithKey(DemoSeeder.SchoolApiKey);
        var response = await api.SendAsync(Exit(factory, classId, new { member_id = student, channel = "mobile", verification = "biometric" }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal("completed", body.GetProperty("status").GetString());
        var id = body.GetProperty("exit_request_id").GetInt64();

        await using var check = factory.SystemDb();
        var membership = await check.Memberships.SingleAsync(m => m.ClassId == classId && m.MemberId == student);
        Assert.Equal(MembershipState.Left, membership.State);
        Assert.NotNull(membership.LeftAt);
        Assert.Equal(DocumentEditMode.ReadOnly, (await check.SharedDocuments.SingleAsync(d => d.Id == docId)).EditMode);
        Assert.Equal(ownerId, (await check.Polls.SingleAsync(p => p.Id == pollId)).OwnerMemberId);
        Assert.Equal(ReplayVisibility.Private, (await check.LiveReplays.SingleAsync(r => r.Id == replayId)).Visibility);
        var messages = await check.ChatMessages.Where(m => m.ClassId == classId && m.SenderMemberId == student).ToListAsync();
        Assert.NotEmpty(messages);
        Assert.All(messages, m => Assert.Equal(membership.LeftAt!.Value.AddDays(30), m.PurgeAfter));
        Assert.Equal(versionBefore + 1, await check.Members.Where(m => m.Id == student).Select(m => m.MembershipVersion).SingleAsync());
        Assert.True(await check.ExitNotifications.AnyAsync(n => n.ExitRequestId == id));
        var request = await check.ExitRequests.SingleAsync(e => e.Id == id);
        Assert.Equal((ExitChannel.Mobile, VerificationMethod.Biometric, ExitRequestStatus.Completed), (request.Channel, request.Verification, request.Status));
        Assert.True(await check.AuditEntries.AnyAsync(a => a.Action == "exit.completed" && a.TargetId == id.ToString()));

        var get = await (await api.GetAsync($"/api/v1/exits/{id}")).JsonAsync();
        Assert.Equal("completed", get.GetProperty("status").GetString());
        Assert.Equal(classId, get.GetProperty("class_id").GetInt64());
    }

    [Fact]
    public async Task ClientVersion319_Refused50177_AndNothingChangesButTheAuditEntry()
    {
        var (classId, _, members) = await ClassAsync(factory, "高二(2)班");
        var student = members.First(m => m.Role == ClassRole.Student).MemberId;
        var response = await factory.WithKey(DemoSeeder.SchoolApiKey, "en")
            .SendAsync(Exit(factory, classId, new { member_id = student, channel = "pc", verification = "sms" }, version: "3.1.9"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.JsonAsync();
        Assert.Equal(50177, problem.GetProperty("code").GetInt32());
        Assert.Contains("3.1.10", problem.GetProperty("remedy").GetString());

        await using var db = factory.SystemDb();
        Assert.Equal(MembershipState.Active, (await db.Memberships.SingleAsync(m => m.ClassId == classId && m.MemberId == student)).State);
        Assert.False(await db.ExitRequests.AnyAsync(e => e.ClassId == classId && e.MemberId == student));
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "exit.refused" && a.MemberId == student && a.Code == 50177));
    }

    [Fact]
    public async Task SeveralRulesBlock_ProblemListsEveryOne()
    {
        var (classId, _, members) = await ClassAsync(factory, "高二(2)班");
        var student = members.Where(m => m.Role == ClassRole.Student).Skip(1).First().MemberId;
        var response = await factory.WithKey(DemoSeeder.SchoolApiKey, "en")
            .SendAsync(Exit(factory, classId, new { member_id = student, channel = "pc", verification = "sms" }, version: "3.0.1", time: DateTimeOffset.UtcNow.AddHours(2)));
        var problem = await response.JsonAsync();
        var codes = problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("code").GetInt32()).ToList();
        Assert.Equal([50177, 50089], codes);
        Assert.All(problem.GetProperty("errors").EnumerateArray(), e => Assert.False(string.IsNullOrEmpty(e.GetProperty("remedy").GetString())));
    }

    [Fact]
    public async Task MemberOfTheOrganisationNotInTheClass_Refused50301()
    {
        var (classId, _, _) = await ExitApiTests.ClassAsync(factory, "高二(3)班");
        var (_, _, others) = await ExitApiTests.ClassAsync(factory, "英语角");
        var (_, _, inClass) = await ExitApiTests.ClassAsync(factory, "高二(3)班");
        var outsider = others.Select(m => m.MemberId).First(id => inClass.All(m => m.MemberId != id));
        var response = await factory.WithKey(DemoSeeder.SchoolApiKey).SendAsync(Exit(factory, classId, new { member_id = outsider, channel = "pc", verification = "sms" }));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(50301, (await response.JsonAsync()).GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Owner_Refused50101()
    {
        var (classId, ownerId, _) = await ClassAsync(factory, "高二(3)班");
        var response = await factory.WithKey(DemoSeeder.SchoolApiKey).SendAsync(Exit(factory, classId, new { member_id = ownerId, channel = "pc", verification = "sms" }));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(50101, (await response.JsonAsync()).GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task ClassAdmin_Refused50102()
    {
        var (classId, _, members) = await ClassAsync(factory, "高二(3)班");
        var admin = members.First(m => m.Role == ClassRole.ClassAdmin).MemberId;
        var response = await factory.WithKey(DemoSeeder.SchoolApiKey).SendAsync(Exit(factory, classId, new { member_id = admin, channel = "pc", verification = "sms" }));
        Assert.Equal(50102, (await response.JsonAsync()).GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task BlacklistedFreezeAndKeyClasses_RefusedWithTheirCodes()
    {
        var api = factory.WithKey(DemoSeeder.SchoolApiKey);
        var locked = await ClassAsync(factory, "校务委员会（禁止退出）");
        var r1 = await api.SendAsync(Exit(factory, locked.ClassId, new { member_id = locked.Members.First(m => m.Role == ClassRole.Student).MemberId, channel = "pc", verification = "sms" }));
        Assert.Equal(50201, (await r1.JsonAsync()).GetProperty("code").GetInt32());

        var frozen = await ClassAsync(factory, "高三(13)班 期末冲刺");
        var r2 = await (await api.SendAsync(Exit(factory, frozen.ClassId, new { member_id = frozen.Members.First(m => m.Role == ClassRole.Student).MemberId, channel = "pc", verification = "sms" }))).JsonAsync();
        Assert.Equal(50202, r2.GetProperty("code").GetInt32());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", r2.GetProperty("exit_possible_from").GetString());

        var key = await ClassAsync(factory, "国防教育保密小组");
        long resigning;
        await using (var db = factory.SystemDb())
            resigning = await (from ms in db.Memberships join m in db.Members on ms.MemberId equals m.Id
                               where ms.ClassId == key.ClassId && ms.Role == ClassRole.Student && m.Resignation == Domain.Members.ResignationState.InProgress select m.Id).FirstAsync();
        var r3 = await api.SendAsync(Exit(factory, key.ClassId, new { member_id = resigning, channel = "pc", verification = "sms" }));
        Assert.Equal(50203, (await r3.JsonAsync()).GetProperty("code").GetInt32());
        await using var check = factory.SystemDb();
        Assert.True(await check.AuditEntries.AnyAsync(a => a.Action == "security.key_class_exit_attempt" && a.MemberId == resigning && a.IsSecurityEvent));
    }

    [Fact]
    public async Task FinanceStudent_NeedsApproval_202()
    {
        var (classId, _, members) = await ClassAsync(factory, "合规培训 2班");
        var student = members.First(m => m.Role == ClassRole.Student).MemberId;
        var response = await factory.WithKey(DemoSeeder.FinanceApiKey).SendAsync(Exit(factory, classId, new { member_id = student, channel = "mobile", verification = "biometric" }));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("pending_approval", (await response.JsonAsync()).GetProperty("status").GetString());

        // A second attempt while the first waits: the unfinished approval (50031).
        var again = await factory.WithKey(DemoSeeder.FinanceApiKey).SendAsync(Exit(factory, classId, new { member_id = student, channel = "mobile", verification = "biometric" }));
        Assert.Equal(50031, (await again.JsonAsync()).GetProperty("code").GetInt32());
    }

    [Theory]
    [InlineData(null, "test-device", "2026-11-25T10:00:00Z")]
    [InlineData("3.1", null, "2026-11-25T10:00:00Z")]
    [InlineData("3.1.10", "test-device", "yesterday")]
    [InlineData("3.1.10", "test-device", "2026-11-25T10:00:00")]
    [InlineData("v3", "test-device", "2026-11-25T10:00:00+08:00")]
    public async Task MissingOrMalformedHeaders_40002(string? version, string? device, string? time)
    {
        var (classId, _, members) = await ClassAsync(factory, "高二(4)班");
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/classes/{classId}/exits")
        {
            Content = JsonContent.Create(new { member_id = members.First(m => m.Role == ClassRole.Student).MemberId, channel = "pc", verification = "sms" }),
        };
        if (version is not null) request.Headers.Add("X-Client-Version", version);
        if (device is not null) request.Headers.Add("X-Device-Id", device);
        if (time is not null) request.Headers.Add("X-Device-Time", time);
        var response = await factory.WithKey(DemoSeeder.SchoolApiKey).SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(40002, (await response.JsonAsync()).GetProperty("code").GetInt32());
    }

    // The key holder names the device; the portal accepts only one it has registered to the member in this organisation (50205),
    // whatever the binding policy (Demo School's is off). Binding (50204) is PolicyTests'.
    [Fact]
    public async Task DeviceTheMemberNeverRegistered_50205_AndNothingChanges_TheMembersOwnDeviceLeaves()
    {
        var (classId, _, members) = await ClassAsync(factory, "高一(6)班");
        var students = members.Where(m => m.Role == ClassRole.Student).Select(m => m.MemberId).Take(2).ToList();
        var othersDevice = DeviceOf(factory, new { member_id = students[1] });
        Assert.NotNull(othersDevice);
        var api = factory.WithKey(DemoSeeder.SchoolApiKey, "en");

        foreach (var device in new[] { "never-registered-" + Guid.NewGuid().ToString("N")[..8], othersDevice })
        {
            var refused = await api.SendAsync(Exit(factory, classId, new { member_id = students[0], channel = "pc", verification = "sms" }, deviceId: device));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            var problem = await refused.JsonAsync();
            Assert.Equal(50205, problem.GetProperty("code").GetInt32());
            Assert.Equal("The device is not registered to the member.", problem.GetProperty("title").GetString());
        }
        await using (var db = factory.SystemDb())
        {
            Assert.Equal(MembershipState.Active, await db.Memberships.Where(m => m.ClassId == classId && m.MemberId == students[0]).Select(m => m.State).SingleAsync());
            Assert.False(await db.ExitRequests.AnyAsync(e => e.ClassId == classId && e.MemberId == students[0] && e.Status != ExitRequestStatus.Failed));
        }

        var own = await api.SendAsync(Exit(factory, classId, new { member_id = students[0], channel = "pc", verification = "sms" }));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Theory]
    [InlineData("{\"member_id\":1,\"channel\":\"fax\",\"verification\":\"sms\"}")]
    [InlineData("{\"member_id\":1,\"channel\":\"mobile\",\"verification\":\"sms\"}")]
    [InlineData("{\"channel\":\"pc\",\"verification\":\"sms\"}")]
    [InlineData("{\"member_id\":")]
    [InlineData("[]")]
    public async Task MalformedBody_40002(string json)
    {
        var (classId, _, _) = await ClassAsync(factory, "高二(4)班");
        var request = Exit(factory, classId, new { });
        request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        var response = await factory.WithKey(DemoSeeder.SchoolApiKey).SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(40002, (await response.JsonAsync()).GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task OtherOrganisationsClassOrMember_40401()
    {
        var school = await ClassAsync(factory, "高二(5)班");
        var finance = await ClassAsync(factory, "合规培训 3班");
        var financeApi = factory.WithKey(DemoSeeder.FinanceApiKey);
        var r1 = await financeApi.SendAsync(Exit(factory, school.ClassId, new { member_id = school.Members[5].MemberId, channel = "pc", verification = "sms" }));
        Assert.Equal(HttpStatusCode.NotFound, r1.StatusCode);
        Assert.Equal(40401, (await r1.JsonAsync()).GetProperty("code").GetInt32());
        var r2 = await financeApi.SendAsync(Exit(factory, finance.ClassId, new { member_id = school.Members[5].MemberId, channel = "pc", verification = "sms" }));
        Assert.Equal(HttpStatusCode.NotFound, r2.StatusCode);

        // Exit requests too: a Demo School request is invisible to the Demo Finance key.
        var schoolOrg = await factory.OrganisationIdAsync(DemoSeeder.SchoolName);
        await using var db = factory.SystemDb();
        var schoolExit = await db.ExitRequests.Where(e => e.OrganisationId == schoolOrg).Select(e => e.Id).FirstAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await financeApi.GetAsync($"/api/v1/exits/{schoolExit}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await factory.WithKey(DemoSeeder.SchoolApiKey).GetAsync($"/api/v1/exits/{schoolExit}")).StatusCode);
    }
}
