using System.Net;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Bulk;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.BulkExits;
using ClassExit.Portal.Features.Classes;
using ClassExit.Portal.Features.Dashboard;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Features.JobRuns;
using ClassExit.Portal.Features.Members;
using ClassExit.Portal.Features.Retention;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ClassExit.Portal.Tests.Features.PlatformOperators;

/// <summary>A platform operator belongs to no organisation: the platform pages are theirs, no organisation's data is.</summary>
[Collection(PortalCollection.Name)]
public class PlatformOperatorTests(PortalFactory factory)
{
    private const string Operator = "operator@platform.demo";

    [Fact]
    public async Task SignIn_LandsOnThePlatformPage_AppBarSaysPlatform_AndIsAuditedWithoutOrganisation()
    {
        var client = factory.CreateBrowserLikeClient();
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("zh-CN");
        var signIn = await factory.SignInAsync(client, Operator);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.False(PortalFactory.IsRedirectToLogin(signIn));

        // The dashboard is an organisation's: a platform operator is sent to the platform's quota requests instead of being refused.
        var home = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, home.StatusCode);
        Assert.Equal("/platform/quota-requests", home.Headers.Location?.ToString());

        var page = await client.GetAsync("/platform/quota-requests");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Matches("data-testid=\"org-name\"[^>]*>(<[^>]+>)*\\s*平台", html);
        Assert.DoesNotContain(DemoSeeder.SchoolName, html);
        Assert.DoesNotContain(DemoSeeder.FinanceName, html.Split("platform-quota-table")[0]);
        // Only the platform pages and the account: no organisation page in the menu.
        Assert.Contains("href=\"jobs\"", html);
        Assert.Contains("href=\"Account/Manage\"", html);
        foreach (var orgPage in new[] { "href=\"classes\"", "href=\"members\"", "href=\"audit\"", "href=\"job-runs\"", "href=\"retention\"" })
            Assert.DoesNotContain(orgPage, html);

        await using var db = factory.SystemDb();
        var user = await db.Users.SingleAsync(u => u.Email == Operator);
        var entry = await db.AuditEntries.Where(a => a.Action == "auth.sign_in" && a.ActorUserId == user.Id).OrderByDescending(a => a.Id).FirstAsync();
        Assert.Null(entry.OrganisationId);
        Assert.Null(entry.ActorMemberId);
    }

    [Theory]
    [InlineData("/classes")]
    [InlineData("/members")]
    [InlineData("/audit")]
    [InlineData("/exits")]
    [InlineData("/approvals")]
    [InlineData("/retention")]
    [InlineData("/job-runs")]
    [InlineData("/quota")]
    [InlineData("/classes/{class}")]
    [InlineData("/members/{member}")]
    public async Task OrganisationPages_AsPlatformOperator_AreRefused(string path)
    {
        await using (var db = factory.SystemDb())
        {
            var school = await factory.OrganisationIdAsync(DemoSeeder.SchoolName);
            path = path.Replace("{class}", (await db.Classes.Where(c => c.OrganisationId == school).OrderBy(c => c.Id).Select(c => c.Id).FirstAsync()).ToString())
                .Replace("{member}", (await db.Members.Where(m => m.OrganisationId == school).OrderBy(m => m.Id).Select(m => m.Id).FirstAsync()).ToString());
        }
        var client = factory.CreateBrowserLikeClient();
        await factory.SignInAsync(client, Operator);
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/Account/AccessDenied", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Services_CalledAsPlatformOperator_ReturnNothingOfAnyOrganisation()
    {
        long schoolClass, schoolMember;
        await using (var db = factory.SystemDb())
        {
            var school = await factory.OrganisationIdAsync(DemoSeeder.SchoolName);
            schoolClass = await db.Classes.Where(c => c.OrganisationId == school).OrderBy(c => c.Id).Select(c => c.Id).FirstAsync();
            schoolMember = await db.Memberships.Where(m => m.ClassId == schoolClass).Select(m => m.MemberId).FirstAsync();
            // There is something to see for a tenant, so an empty answer below means "not yours", not "nothing there".
            Assert.True(await db.AuditEntries.AnyAsync(a => a.OrganisationId == school));
            Assert.True(await db.RetentionRuns.AnyAsync(r => r.OrganisationId == school) || await db.AuditEntries.AnyAsync(a => a.OrganisationId == school && a.ActorUserId == null));
        }

        var (classes, s1) = await factory.ServiceAsAsync<ClassesService>(Operator);
        var (members, s2) = await factory.ServiceAsAsync<MembersService>(Operator);
        var (audit, s3) = await factory.ServiceAsAsync<AuditSearchService>(Operator);
        var (dashboard, s4) = await factory.ServiceAsAsync<DashboardService>(Operator);
        var (jobRuns, s5) = await factory.ServiceAsAsync<JobRunsService>(Operator);
        var (retention, s6) = await factory.ServiceAsAsync<RetentionService>(Operator);
        var (quota, s7) = await factory.ServiceAsAsync<QuotaRequestsService>(Operator);
        var (_, exits, s8) = await factory.AsUserAsync(Operator);
        using var _1 = s1; using var _2 = s2; using var _3 = s3; using var _4 = s4; using var _5 = s5; using var _6 = s6; using var _7 = s7; using var _8 = s8;

        Assert.Equal(0, (await classes.SearchAsync(null, new PageRequest())).Total);
        Assert.Null(await classes.GetDetailAsync(schoolClass));
        Assert.Null(await classes.GetMembersAsync(schoolClass, new PageRequest()));
        Assert.Equal(0, (await members.SearchAsync(null, new PageRequest())).Total);
        Assert.Null(await members.GetAsync(schoolMember));
        Assert.Empty((await audit.SearchAsync(new AuditFilter())).Items);
        var counts = await dashboard.GetAsync();
        Assert.Equal(0, counts.ActiveClasses + (counts.Members ?? 0) + counts.ActiveMembers + counts.PendingTransfers + (counts.StaleDevices ?? 0));
        Assert.Equal(0, (await jobRuns.PurgeRunsAsync(new PageRequest())).Total);
        Assert.Equal(0, (await jobRuns.SystemEntriesAsync(new PageRequest())).Total);
        Assert.Empty(await retention.RunsAsync());
        Assert.Empty(await quota.OwnAsync());
        Assert.Equal(0, (await exits.SearchAsync(new ExitRequestFilter(), new PageRequest())).Total);
    }

    [Fact]
    public async Task QuotaRequests_OnlyHrAndAdminsAsk_OnlyPlatformOperatorsDecide_RefusalsAuditedAndChangeNothing()
    {
        var school = await factory.OrganisationIdAsync(DemoSeeder.SchoolName);
        var (platform, s1) = await factory.ServiceAsAsync<QuotaRequestsService>(Operator);
        var (hr, s2) = await factory.ServiceAsAsync<QuotaRequestsService>("hr@school.demo");
        var (auditor, s3) = await factory.ServiceAsAsync<QuotaRequestsService>("auditor@school.demo");
        var (admin, s4) = await factory.ServiceAsAsync<QuotaRequestsService>("admin@school.demo");
        using var _1 = s1; using var _2 = s2; using var _3 = s3; using var _4 = s4;

        async Task<(int Requests, int Refusals)> CountAsync()
        {
            await using var db = factory.SystemDb();
            return (await db.QuotaIncreaseRequests.CountAsync(), await db.AuditEntries.CountAsync(a => a.Action == "access.refused"));
        }

        // Asking: a platform operator has no organisation to ask for, an auditor changes nothing.
        var before = await CountAsync();
        Assert.StartsWith($"[{ErrorCatalogue.Forbidden}]", await platform.RequestAsync(5000, "平台不属于任何组织"));
        Assert.StartsWith($"[{ErrorCatalogue.Forbidden}]", await auditor.RequestAsync(5000, "审计员不能申请"));
        Assert.Equal((before.Requests, before.Refusals + 2), await CountAsync());
        await using (var db = factory.SystemDb())
        {
            var refusals = await db.AuditEntries.Where(a => a.Action == "access.refused" && a.TargetType == "QuotaIncreaseRequest")
                .OrderByDescending(a => a.Id).Take(2).ToListAsync();
            Assert.Equal([school, null], refusals.Select(a => a.OrganisationId));
            Assert.All(refusals, a => Assert.Equal(AuditOutcome.Refused, a.Outcome));
        }

        // The reason is capped at the column's length.
        Assert.StartsWith($"[{ErrorCatalogue.TextTooLong}]", await hr.RequestAsync(5000, new string('因', QuotaRequestsService.MaxTextLength + 1)));
        Assert.Equal(before.Requests, (await CountAsync()).Requests);
        Assert.Null(await hr.RequestAsync(5000, new string('因', QuotaRequestsService.MaxTextLength)));
        var request = (await hr.OwnAsync()).First(r => r.Status == QuotaRequestStatus.Pending);

        // Deciding: an organisation's admin may not, not even for their own organisation; nothing changes.
        Assert.Equal(ErrorCatalogue.Forbidden, (await admin.PendingForPlatformAsync()).Code);
        Assert.Equal(ErrorCatalogue.Forbidden, await admin.DecideAsync(request.Id, approve: true, null));
        Assert.Equal(ErrorCatalogue.TextTooLong, await platform.DecideAsync(request.Id, approve: false, new string('x', QuotaRequestsService.MaxTextLength + 1)));
        Assert.Equal(ErrorCatalogue.NotFound, await platform.DecideAsync(long.MaxValue, approve: false, null));
        await using (var db = factory.SystemDb())
        {
            Assert.Equal(QuotaRequestStatus.Pending, (await db.QuotaIncreaseRequests.SingleAsync(r => r.Id == request.Id)).Status);
            Assert.Equal(request.CurrentLimit, (await db.Organisations.SingleAsync(o => o.Id == school)).Policy.DailyBatchQuota);
        }

        // The platform operator sees it across organisations and decides it; the decision is audited in the school's log.
        var (code, pending) = await platform.PendingForPlatformAsync();
        Assert.Null(code);
        Assert.Contains(pending, p => p.Id == request.Id && p.OrganisationName == DemoSeeder.SchoolName);
        Assert.Null(await platform.DecideAsync(request.Id, approve: false, "本次不调整"));
        Assert.Equal(ErrorCatalogue.RequestAlreadyDecided, await platform.DecideAsync(request.Id, approve: true, null));
        await using (var db = factory.SystemDb())
        {
            var decision = await db.AuditEntries.SingleAsync(a => a.Action == "quota.increase_refused" && a.TargetId == request.Id.ToString());
            Assert.Equal(school, decision.OrganisationId);
            Assert.Equal(request.CurrentLimit, (await db.Organisations.SingleAsync(o => o.Id == school)).Policy.DailyBatchQuota);
        }
    }

    [Fact]
    public async Task Account_PlatformOperator_SeesProfileAndChangesPassword_AuditedWithoutOrganisation()
    {
        // A platform account of its own: changing the demo operator's password would break the other tests.
        const string email = "platform-password-test@platform.demo";
        using (var scope = factory.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = "平台测试 吴越" };
            Assert.True((await users.CreateAsync(user, DemoSeeder.Password)).Succeeded);
            Assert.True((await users.AddToRoleAsync(user, PortalRoles.PlatformOperator)).Succeeded);
        }
        var client = factory.CreateBrowserLikeClient();
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("zh-CN");
        Assert.Equal(HttpStatusCode.Redirect, (await factory.SignInAsync(client, email)).StatusCode);

        var profile = await client.GetAsync("/Account/Manage");
        Assert.Equal(HttpStatusCode.OK, profile.StatusCode);
        var html = await profile.Content.ReadAsStringAsync();
        Assert.Contains("平台账号不属于任何组织", html);
        Assert.Contains("平台运营", html);

        var form = await client.GetStringAsync("/Account/Manage/ChangePassword");
        var token = System.Text.RegularExpressions.Regex.Match(form, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        var changed = await client.PostAsync("/Account/Manage/ChangePassword", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["_handler"] = "change-password",
            ["Input.OldPassword"] = DemoSeeder.Password,
            ["Input.NewPassword"] = "Platform#2027!",
            ["Input.ConfirmPassword"] = "Platform#2027!",
        }));
        Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
        Assert.False(PortalFactory.IsRedirectToLogin(changed));

        await using var db = factory.SystemDb();
        var entry = await db.AuditEntries.SingleAsync(a => a.Action == "auth.password_changed" && a.ActorName == "平台测试 吴越");
        Assert.Null(entry.OrganisationId);
        Assert.Equal(AuditOutcome.Succeeded, entry.Outcome);
    }
}
