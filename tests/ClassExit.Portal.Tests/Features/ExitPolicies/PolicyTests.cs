using ClassExit.Portal.Infrastructure.Authorization;
using System.Net;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Features.ExitPolicies;
using ClassExit.Portal.Tests.Features.ExitRequests;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Tests.Features.ExitPolicies;

/// <summary>
/// Organisation and class policies, each test in an organisation of its own (TestOrganisation): a test changes its own
/// organisation's policy and never has to put a shared one back.
/// </summary>
[Collection(PortalCollection.Name)]
public class PolicyTests(PortalFactory factory)
{
    private static readonly ExitPolicy FourteenDayFreeze = new() { FreezeWindowDays = 14 };

    [Fact]
    public async Task ApprovalOff_StudentExitCompletes_OnAgain_Is202_ChangesAuditedWithBeforeAfter()
    {
        var org = await TestOrganisation.CreateAsync(factory, "approval-off", new ExitPolicy { ExitRequiresApproval = true }, OrganisationKind.Finance);
        var c = await org.AddClassAsync("客户服务礼仪 1班");
        var (policies, scope) = await factory.ServiceAsAsync<PolicyService>(org.AdminEmail);
        using var _ = scope;
        var original = await policies.GetAsync();
        Assert.True(original.ExitRequiresApproval);
        Assert.Equal(ErrorCatalogue.StepUpFailed, (await policies.SaveAsync(original with { ExitRequiresApproval = false }, "wrong")).Code);
        Assert.True((await policies.SaveAsync(original with { ExitRequiresApproval = false }, DemoSeeder.Password)).Succeeded);
        var api = factory.WithKey(org.ApiKey);
        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(ExitApiTests.Exit(factory, c.ClassId, new { member_id = c.Students[0], channel = "pc", verification = "sms" }))).StatusCode);

        Assert.True((await policies.SaveAsync(original with { ExitRequiresApproval = true }, DemoSeeder.Password)).Succeeded);
        Assert.Equal(HttpStatusCode.Accepted, (await api.SendAsync(ExitApiTests.Exit(factory, c.ClassId, new { member_id = c.Students[1], channel = "pc", verification = "sms" }))).StatusCode);

        await using var db = factory.SystemDb();
        var changes = await db.AuditEntries.Where(a => a.OrganisationId == org.Id && a.Action == "policy.changed").OrderBy(a => a.Id).ToListAsync();
        Assert.Equal(2, changes.Count);
        Assert.Contains("\"before\"", changes[1].Details);
        Assert.Contains("ExitRequiresApproval: True → False", changes[0].Details);
        Assert.Contains("ExitRequiresApproval: False → True", changes[1].Details);
    }

    [Fact]
    public async Task Blacklisting_ClassRefusesExitsAtOnce_50201()
    {
        var org = await TestOrganisation.CreateAsync(factory, "blacklist");
        var c = await org.AddClassAsync("客户服务礼仪 2班");
        var (policies, scope) = await factory.ServiceAsAsync<PolicyService>(org.AdminEmail);
        using var _ = scope;
        var row = (await policies.ClassesAsync("客户服务礼仪 2班", new ClassExit.Portal.Infrastructure.PageRequest())).Items.Single();
        Assert.Null(await policies.SaveClassAsync(c.ClassId, true, row.Classification, row.TermEndsOn, DemoSeeder.Password));
        var response = await factory.WithKey(org.ApiKey).SendAsync(ExitApiTests.Exit(factory, c.ClassId,
            new { member_id = c.Students[0], channel = "pc", verification = "sms" }));
        Assert.Equal(50201, (await response.JsonAsync()).GetProperty("code").GetInt32());
        await using var db = factory.SystemDb();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "class_policy.changed" && a.ClassId == c.ClassId && a.Details!.Contains("\"exitLocked\":true")));
    }

    [Fact]
    public async Task InvalidPolicy_IsRefusedWithEveryViolation_AndPreviewListsFreezeChanges()
    {
        var org = await TestOrganisation.CreateAsync(factory, "invalid-policy", FourteenDayFreeze);
        var today = DateOnly.FromDateTime(org.Clock.GetUtcNow().UtcDateTime);
        var ending = await org.AddClassAsync("期末冲刺班", termEndsOn: today.AddDays(7));
        await org.AddClassAsync("普通班", termEndsOn: today.AddDays(90));
        var (policies, scope) = await factory.ServiceAsAsync<PolicyService>(org.AdminEmail);
        using var _ = scope;
        var current = await policies.GetAsync();
        var bad = await policies.SaveAsync(current with { MinimumClientVersion = "three", FreezeWindowDays = 99, StudentRetentionDays = 0 }, DemoSeeder.Password);
        Assert.Equal(ErrorCatalogue.PolicyValueOutOfRange, bad.Code);
        Assert.Equal([PolicyViolation.MinimumClientVersionFormat, PolicyViolation.FreezeWindowRange, PolicyViolation.StudentRetentionRange], bad.Errors);

        // A negative number is refused as it is, not clamped to the nearest valid value (the form once turned -5 into 1).
        var negative = await policies.SaveAsync(current with { StudentRetentionDays = -5, AllowedClockSkewSeconds = -1 }, DemoSeeder.Password);
        Assert.Equal(ErrorCatalogue.PolicyValueOutOfRange, negative.Code);
        Assert.Equal([PolicyViolation.ClockSkewRange, PolicyViolation.StudentRetentionRange], negative.Errors);

        var impact = await policies.PreviewAsync(current with { FreezeWindowDays = 0 });
        Assert.Equal([ending.Name], impact.ClassesLeavingFreeze);
        Assert.Equal([new PolicyChange(nameof(ExitPolicy.FreezeWindowDays), 14, 0)], impact.Changes);
        Assert.Equal(current, await policies.GetAsync());
    }

    [Fact]
    public async Task ShorterStudentRetention_PreviewCountsLeaversMessages_SaveReschedulesThem_RestoreBringsThemBack()
    {
        var org = await TestOrganisation.CreateAsync(factory, "retention-policy");
        var c = await org.AddClassAsync("高二(3)班", messagesEach: 3);
        var (policies, scope) = await factory.ServiceAsAsync<PolicyService>(org.AdminEmail);
        using var _ = scope;
        var (classId, student) = (c.ClassId, c.Students[0]);
        var api = factory.WithKey(org.ApiKey);
        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(ExitApiTests.Exit(factory, classId, new { member_id = student, channel = "mobile", verification = "biometric" }))).StatusCode);
        DateTimeOffset leftAt;
        await using (var db = factory.SystemDb())
        {
            leftAt = (await db.Memberships.SingleAsync(m => m.ClassId == classId && m.MemberId == student)).LeftAt!.Value;
            Assert.Equal(3, await db.ChatMessages.CountAsync(m => m.ClassId == classId && m.SenderMemberId == student));
            Assert.True(await db.ChatMessages.Where(m => m.ClassId == classId && m.SenderMemberId == student).AllAsync(m => m.PurgeAfter == leftAt.AddDays(30)));
        }

        var original = await policies.GetAsync();
        var shorter = original with { StudentRetentionDays = 7 };
        var impact = await policies.PreviewAsync(shorter);
        Assert.Equal(3, impact.Retention.MessagesEarlier);
        Assert.Equal(0, impact.Retention.MessagesLater);

        var saved = await policies.SaveAsync(shorter, DemoSeeder.Password);
        Assert.True(saved.Succeeded);
        Assert.Equal(impact.Retention, saved.Retention);
        await using (var db = factory.SystemDb())
        {
            Assert.True(await db.ChatMessages.Where(m => m.ClassId == classId && m.SenderMemberId == student).AllAsync(m => m.PurgeAfter == leftAt.AddDays(7)));
            var audit = await db.AuditEntries.Where(a => a.OrganisationId == org.Id && a.Action == "policy.changed").OrderByDescending(a => a.Id).FirstAsync();
            Assert.Contains("StudentRetentionDays: 30 → 7", audit.Details);
            Assert.Contains("retention_rescheduled", audit.Details);
        }

        Assert.True((await policies.SaveAsync(original, DemoSeeder.Password)).Succeeded);
        await using (var db = factory.SystemDb())
            Assert.True(await db.ChatMessages.Where(m => m.ClassId == classId && m.SenderMemberId == student).AllAsync(m => m.PurgeAfter == leftAt.AddDays(30)));
    }

    [Fact]
    public async Task TermEnd_ForManyClassesAtOnce_OneAuditEntryEach_ThenFreezeRefuses50202()
    {
        var org = await TestOrganisation.CreateAsync(factory, "term-end", FourteenDayFreeze);
        for (var i = 1; i <= 4; i++) await org.AddClassAsync($"高一({i})班", students: 1);
        var (policies, scope) = await factory.ServiceAsAsync<PolicyService>(org.AdminEmail);
        using var _ = scope;
        var rows = (await policies.ClassesAsync("高一(", new ClassExit.Portal.Infrastructure.PageRequest(1, 3))).Items;
        Assert.Equal(3, rows.Count);
        var ids = rows.Select(r => r.ClassId).ToList();
        var soon = DateOnly.FromDateTime(org.Clock.GetUtcNow().UtcDateTime.AddDays(5));
        Assert.Equal((ErrorCatalogue.StepUpFailed, 0), await policies.SetTermEndAsync(ids, soon, "wrong"));
        Assert.Equal((ErrorCatalogue.NotFound, 0), await policies.SetTermEndAsync([ids[0], 999_999], soon, DemoSeeder.Password));
        Assert.Equal((null, 3), await policies.SetTermEndAsync(ids, soon, DemoSeeder.Password));
        await using var db = factory.SystemDb();
        var changed = await db.Classes.Where(c => ids.Contains(c.Id)).ToListAsync();
        Assert.Equal(3, changed.Count);
        Assert.All(changed, c => Assert.Equal(soon, c.TermEndsOn));
        Assert.Equal(ids.Order(), (await db.AuditEntries.Where(a => a.OrganisationId == org.Id && a.Action == "class_policy.changed" && a.Details!.Contains("\"bulk\":3"))
            .Select(a => a.ClassId!.Value).ToListAsync()).Order());
        // The fourth class keeps its term end.
        Assert.Equal(1, await db.Classes.CountAsync(c => c.OrganisationId == org.Id && c.TermEndsOn != soon));

        var student = await db.Memberships.Where(m => m.ClassId == ids[0] && m.Role == ClassRole.Student && m.State == MembershipState.Active).Select(m => m.MemberId).FirstAsync();
        var response = await factory.WithKey(org.ApiKey).SendAsync(ExitApiTests.Exit(factory, ids[0], new { member_id = student, channel = "mobile", verification = "biometric" }));
        Assert.Equal(50202, (await response.JsonAsync()).GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task ChecklistItem_AddedByAdmin_Blocks50105_UntilMarkedComplete_ThenRemovable()
    {
        var org = await TestOrganisation.CreateAsync(factory, "checklist");
        var c = await org.AddClassAsync("高二(4)班");
        var (checklists, scope) = await factory.ServiceAsAsync<HandoverChecklistService>(org.AdminEmail);
        using var _ = scope;
        var (classId, students) = (c.ClassId, c.Students);
        Assert.Equal(ErrorCatalogue.StepUpFailed, await checklists.AddItemAsync(classId, "归还实验器材", "wrong"));
        Assert.Equal(ErrorCatalogue.TextTooLong, await checklists.AddItemAsync(classId, new string('x', 201), DemoSeeder.Password));
        Assert.Null(await checklists.AddItemAsync(classId, "归还实验器材", DemoSeeder.Password));
        Assert.Equal(ErrorCatalogue.MalformedRequest, await checklists.AddItemAsync(classId, " 归还实验器材 ", DemoSeeder.Password));
        var list = await checklists.GetAsync(classId);
        var item = Assert.Single(list!.Items);
        Assert.Equal(0, item.CompletedBy);

        var api = factory.WithKey(org.ApiKey);
        var refused = await api.SendAsync(ExitApiTests.Exit(factory, classId, new { member_id = students[0], channel = "mobile", verification = "biometric" }));
        Assert.Equal(50105, (await refused.JsonAsync()).GetProperty("code").GetInt32());

        Assert.Null(await checklists.SetCompletedAsync(classId, item.ItemId, students[0], true));
        Assert.Equal(ErrorCatalogue.NotFound, await checklists.SetCompletedAsync(classId, item.ItemId, 999_999, true));
        var page = await checklists.MembersAsync(classId, null, new ClassExit.Portal.Infrastructure.PageRequest(1, 200));
        Assert.Contains(item.ItemId, page.Items.Single(m => m.MemberId == students[0]).Completed);
        Assert.Equal(1, (await checklists.GetAsync(classId))!.Items.Single().CompletedBy);
        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(ExitApiTests.Exit(factory, classId, new { member_id = students[0], channel = "mobile", verification = "biometric" }))).StatusCode);

        Assert.Null(await checklists.RemoveItemAsync(classId, item.ItemId, DemoSeeder.Password));
        Assert.Empty((await checklists.GetAsync(classId))!.Items);
        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(ExitApiTests.Exit(factory, classId, new { member_id = students[1], channel = "mobile", verification = "biometric" }))).StatusCode);
        await using var db = factory.SystemDb();
        Assert.False(await db.HandoverCompletions.AnyAsync(h => h.ChecklistItemId == item.ItemId));
        Assert.Equal(2, await db.AuditEntries.CountAsync(a => a.ClassId == classId && (a.Action == "checklist.item_added" || a.Action == "checklist.item_removed")));
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "checklist.completed" && a.MemberId == students[0]));
    }

    [Fact]
    public async Task DeviceBinding_UnboundDeviceRefused50204_BindingItLetsTheExitThrough_OtherOrganisationsDevice404()
    {
        var org = await TestOrganisation.CreateAsync(factory, "binding");
        var other = await TestOrganisation.CreateAsync(factory, "binding-other");
        var c = await org.AddClassAsync("高二(5)班");
        var (policies, scope) = await factory.ServiceAsAsync<PolicyService>(org.AdminEmail);
        using var _ = scope;
        var (bindings, scope2) = await factory.ServiceAsAsync<DeviceBindingService>(org.AdminEmail);
        using var __ = scope2;
        var (classId, student) = (c.ClassId, c.Students[0]);
        var device = Assert.Single(await bindings.DevicesAsync(student));
        Assert.Equal(org.DeviceOf(student), device.DeviceId);
        var original = await policies.GetAsync();
        Assert.True((await policies.SaveAsync(original with { DeviceBindingRequired = true }, DemoSeeder.Password)).Succeeded);
        Assert.Null(await bindings.SetBoundAsync(device.DeviceId, false, DemoSeeder.Password));
        var api = factory.WithKey(org.ApiKey);
        var refused = await api.SendAsync(ExitApiTests.Exit(factory, classId, new { member_id = student, channel = "mobile", verification = "biometric" }, deviceId: device.DeviceId));
        Assert.Equal(50204, (await refused.JsonAsync()).GetProperty("code").GetInt32());

        Assert.Equal(ErrorCatalogue.StepUpFailed, await bindings.SetBoundAsync(device.DeviceId, true, "wrong"));
        Assert.Null(await bindings.SetBoundAsync(device.DeviceId, true, DemoSeeder.Password));
        Assert.True((await bindings.DevicesAsync(student)).Single(d => d.DeviceId == device.DeviceId).IsBound);
        var ok = await api.SendAsync(ExitApiTests.Exit(factory, classId, new { member_id = student, channel = "mobile", verification = "biometric" }, deviceId: device.DeviceId));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        Assert.Equal(ErrorCatalogue.NotFound, await bindings.SetBoundAsync(other.DeviceOf(other.HrMemberId), false, DemoSeeder.Password));
        await using var db = factory.SystemDb();
        Assert.True((await db.Devices.SingleAsync(d => d.Id == other.DeviceOf(other.HrMemberId))).IsBound);
        Assert.Equal(2, await db.AuditEntries.CountAsync(a => a.Action == "device.binding_changed" && a.TargetId == device.DeviceId));
    }
}
