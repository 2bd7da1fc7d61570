using System.Net;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Features.ExitPolicies;
using ClassExit.Portal.Tests.Features.ExitRequests;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Tests.Features.ExitPolicies;

[Collection(PortalCollection.Name)]
public class PolicyTests(PortalFactory factory)
{
    [Fact]
    public async Task ApprovalOff_StudentExitCompletes_OnAgain_Is202_ChangesAuditedWithBeforeAfter()
    {
        var (policies, scope) = await factory.ServiceAsAsync<PolicyService>("admin@finance.demo");
        using var _ = scope;
        var original = await policies.GetAsync();
        try
        {
            Assert.Equal(ErrorCatalogue.StepUpFailed, (await policies.SaveAsync(original with { ExitRequiresApproval = false }, "wrong")).Code);
            Assert.True((await policies.SaveAsync(original with { ExitRequiresApproval = false }, DemoSeeder.Password)).Succeeded);
            var (classId, _, members) = await ExitApiTests.ClassAsync(factory, "客户服务礼仪 1班");
            var students = members.Where(m => m.Role == ClassRole.Student).Select(m => m.MemberId).ToList();
            var api = factory.WithKey(DemoSeeder.FinanceApiKey);
            Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(ExitApiTests.Exit(classId, new { member_id = students[0], channel = "pc", verification = "sms" }))).StatusCode);

            Assert.True((await policies.SaveAsync(original with { ExitRequiresApproval = true }, DemoSeeder.Password)).Succeeded);
            Assert.Equal(HttpStatusCode.Accepted, (await api.SendAsync(ExitApiTests.Exit(classId, new { member_id = students[1], channel = "pc", verification = "sms" }))).StatusCode);

            await using var db = factory.SystemDb();
            var change = await db.AuditEntries.Where(a => a.Action == "policy.changed").OrderByDescending(a => a.Id).FirstAsync();
            Assert.Contains("\"before\"", change.Details);
            Assert.Contains("ExitRequiresApproval: False → True", change.Details);
        }
        finally
        {
            await policies.SaveAsync(original, DemoSeeder.Password);
        }
    }

    [Fact]
    public async Task Blacklisting_ClassRefusesExitsAtOnce_50201()
    {
        var (policies, scope) = await factory.ServiceAsAsync<PolicyService>("admin@finance.demo");
        using var _ = scope;
        var (classId, _, members) = await ExitApiTests.ClassAsync(factory, "客户服务礼仪 2班");
        var row = (await policies.ClassesAsync("客户服务礼仪 2班", new ClassExit.Portal.Infrastructure.PageRequest())).Items.Single();
        Assert.Null(await policies.SaveClassAsync(classId, true, row.Classification, row.TermEndsOn, DemoSeeder.Password));
        var response = await factory.WithKey(DemoSeeder.FinanceApiKey).SendAsync(ExitApiTests.Exit(classId,
            new { member_id = members.First(m => m.Role == ClassRole.Student).MemberId, channel = "pc", verification = "sms" }));
        Assert.Equal(50201, (await response.JsonAsync()).GetProperty("code").GetInt32());
        await using var db = factory.SystemDb();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "class_policy.changed" && a.ClassId == classId && a.Details!.Contains("\"exitLocked\":true")));
    }

    [Fact]
    public async Task InvalidPolicy_IsRefusedWithBilingualMessages_AndPreviewListsFreezeChanges()
    {
        var (policies, scope) = await factory.ServiceAsAsync<PolicyService>("admin@school.demo");
        using var _ = scope;
        var current = await policies.GetAsync();
        var bad = await policies.SaveAsync(current with { MinimumClientVersion = "three", FreezeWindowDays = 99, StudentRetentionDays = 0 }, DemoSeeder.Password);
        Assert.Equal(3, bad.Errors.Count);
        Assert.All(bad.Errors, e => Assert.Matches("[\u4e00-\u9fff].*[A-Za-z]", e));

        var impact = await policies.PreviewAsync(current with { FreezeWindowDays = 0 });
        Assert.Contains("高三(13)班 期末冲刺", impact.ClassesLeavingFreeze);
        Assert.Contains(impact.Changes, c => c.StartsWith("FreezeWindowDays: 14 → 0"));
        Assert.Equal(current, await policies.GetAsync());
    }
}
