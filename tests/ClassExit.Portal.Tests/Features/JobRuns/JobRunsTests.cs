using System.Globalization;
using System.Net;
using Bunit;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Domain.Retention;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.JobRuns;
using ClassExit.Portal.Features.Organisation;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace ClassExit.Portal.Tests.Features.JobRuns;

/// <summary>Enterprise admins see their own organisation's job runs in the portal (the Hangfire dashboard is the platform's).</summary>
[Collection(PortalCollection.Name)]
public class JobRunsTests(PortalFactory factory)
{
    private static readonly DateTimeOffset Started = new(2026, 1, 5, 1, 2, 3, TimeSpan.Zero);

    /// <summary>One purge run and one job entry in each demo organisation, newer than anything else there.</summary>
    private async Task<(long SchoolRun, long FinanceRun, long SchoolEntry, long FinanceEntry)> ArrangeAsync()
    {
        var school = await factory.OrganisationIdAsync(DemoSeeder.SchoolName);
        var finance = await factory.OrganisationIdAsync(DemoSeeder.FinanceName);
        await using var db = factory.SystemDb();
        RetentionRun Run(long org, int purged)
        {
            var run = new RetentionRun(org, Started, Started.AddDays(-1), "schedule", due: purged);
            run.RecordBatch(purged, purged * 3, 12, Started.AddDays(-30), Started.AddDays(-2), "digest");
            run.Finish(Started.AddMinutes(2), skippedForHolds: 1);
            db.RetentionRuns.Add(run);
            return run;
        }
        var schoolRun = Run(school, 4321);
        var financeRun = Run(finance, 8765);
        var schoolEntry = AuditLog.Add(db, school, AuditActor.System("escalation job"), Started, "exit.escalated", AuditOutcome.Succeeded, "ExitRequest", "school-test");
        var financeEntry = AuditLog.Add(db, finance, AuditActor.System("escalation job"), Started, "exit.escalated", AuditOutcome.Succeeded, "ExitRequest", "finance-test");
        await db.SaveChangesAsync();
        return (schoolRun.Id, financeRun.Id, schoolEntry.Id, financeEntry.Id);
    }

    [Fact]
    public async Task JobRuns_AsAdmin_OwnOrganisationOnly_NewestFirst_SystemEntriesOnly_ServerPaged()
    {
        var (schoolRun, financeRun, schoolEntry, financeEntry) = await ArrangeAsync();
        var (jobRuns, scope) = await factory.ServiceAsAsync<JobRunsService>("admin@school.demo");
        using var _ = scope;

        var runs = await jobRuns.PurgeRunsAsync(new PageRequest(1, 200));
        Assert.NotEmpty(runs.Items);
        Assert.Equal(schoolRun, runs.Items[0].Id);
        Assert.Equal((4321, 4321 * 3, 1, RetentionRunState.Completed), (runs.Items[0].MessagesPurged, runs.Items[0].ReceiptsPurged,
            runs.Items[0].SkippedForHolds, runs.Items[0].State));
        Assert.DoesNotContain(runs.Items, r => r.Id == financeRun);
        Assert.Equal(runs.Items.OrderByDescending(r => r.Id).Select(r => r.Id), runs.Items.Select(r => r.Id));

        var entries = await jobRuns.SystemEntriesAsync(new PageRequest(1, 200));
        Assert.NotEmpty(entries.Items);
        Assert.Equal(schoolEntry, entries.Items[0].Id);
        Assert.Equal("escalation job", entries.Items[0].Job);
        Assert.DoesNotContain(entries.Items, e => e.Id == financeEntry);
        Assert.Equal(entries.Items.OrderByDescending(e => e.Id).Select(e => e.Id), entries.Items.Select(e => e.Id));
        await using (var db = factory.SystemDb())
        {
            // Only what the portal itself did: people's actions (sign-ins, exits) are the audit log's, not a job's.
            var ids = entries.Items.Select(e => e.Id).ToList();
            Assert.False(await db.AuditEntries.AnyAsync(a => ids.Contains(a.Id) && (a.ActorUserId != null || a.ActorMemberId != null)));
            var school = await factory.OrganisationIdAsync(DemoSeeder.SchoolName);
            Assert.True(await db.AuditEntries.AnyAsync(a => a.OrganisationId == school && (a.ActorUserId != null || a.ActorMemberId != null)));
        }

        // Server-paged: the second page of one starts with the second newest, and the total counts every row.
        var second = await jobRuns.SystemEntriesAsync(new PageRequest(2, 1));
        Assert.Equal(entries.Total, second.Total);
        Assert.Equal(entries.Items[1].Id, Assert.Single(second.Items).Id);
    }

    [Fact]
    public async Task JobRunsPage_AsAdmin_LinksToRetention_ReplacesTheJobsLink_OthersRefused()
    {
        var client = factory.CreateBrowserLikeClient();
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("zh-CN");
        await factory.SignInAsync(client, "admin@school.demo");
        var response = await client.GetAsync("/job-runs");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("本组织的任务运行记录", html);
        Assert.Contains("Asia/Shanghai", html);
        Assert.Contains("href=\"retention\"", html);
        Assert.Contains("href=\"job-runs\"", html);
        Assert.DoesNotContain("href=\"jobs\"", html);

        foreach (var email in new[] { "hr@school.demo", "auditor@school.demo", "teacher@school.demo", "operator@platform.demo" })
        {
            var other = factory.CreateBrowserLikeClient();
            await factory.SignInAsync(other, email);
            var refused = await other.GetAsync("/job-runs");
            Assert.True(refused.StatusCode == HttpStatusCode.Redirect && refused.Headers.Location!.ToString().Contains("/Account/AccessDenied"),
                $"{email}: {(int)refused.StatusCode} {refused.Headers.Location}");
        }
    }
}

/// <summary>The page itself (bunit, real SQLite): rows come from the server page by page, times in the organisation's zone.</summary>
public class JobRunsPageTests
{
    private static readonly DateTimeOffset Started = new(2026, 1, 5, 1, 2, 3, TimeSpan.Zero);

    [Fact]
    public async Task Page_ShowsOwnRunsAndJobEntries_NewestFirst_InOrganisationTime_ServerPaged()
    {
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
        await using var database = await SqliteTestDatabase.CreateAsync();
        long ours;
        await using (var db = database.CreateContext().ForSystem())
        {
            var school = new Organisation("Ours", "Asia/Shanghai", OrganisationKind.Education);
            var other = new Organisation("Theirs", "Europe/London", OrganisationKind.Finance);
            db.Organisations.AddRange(school, other);
            await db.SaveChangesAsync();
            ours = school.Id;
            for (var i = 1; i <= 12; i++)
            {
                var run = new RetentionRun(school.Id, Started.AddHours(i), Started, i % 2 == 0 ? "manual" : "schedule", due: 1000 + i);
                run.RecordBatch(1000 + i, 0, 5, Started.AddDays(-9), Started.AddDays(-1), "d");
                run.Finish(Started.AddHours(i).AddMinutes(1), 0);
                db.RetentionRuns.Add(run);
            }
            var theirs = new RetentionRun(other.Id, Started, Started, "manual", due: 9999);
            db.RetentionRuns.Add(theirs);
            AuditLog.Add(db, school.Id, AuditActor.System("transfer expiry job"), Started, "ownership.expired", AuditOutcome.Succeeded, "OwnershipTransfer", "7");
            AuditLog.Add(db, school.Id, new AuditActor("user-1", 1, "管理员", "c"), Started, "policy.changed");
            AuditLog.Add(db, other.Id, AuditActor.System("escalation job"), Started, "exit.escalated");
            await db.SaveChangesAsync();
        }

        await using var ctx = new BunitContext();
        ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        ctx.Services.AddMudServices();
        ctx.Services.AddLocalization(o => o.ResourcesPath = "Resources");
        database.AddTo(ctx.Services, ours);
        ctx.Services.AddScoped<JobRunsService>();
        ctx.Services.AddScoped<OrganisationService>();
        ctx.Render<MudPopoverProvider>();
        var page = ctx.Render<JobRunsPage>();

        page.WaitForAssertion(() => Assert.Equal(10, page.FindAll("[data-testid=job-runs-purges] tbody tr.mud-table-row").Count), TimeSpan.FromSeconds(10));
        var runs = page.FindAll("[data-testid=job-runs-purges] tbody tr.mud-table-row");
        // Newest first: the twelfth run, started at 13:02:03 in Shanghai (05:02:03 UTC).
        var newest = TimeZoneInfo.ConvertTime(Started.AddHours(12), TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai")).ToString("G", CultureInfo.CurrentCulture);
        Assert.Contains(newest, runs[0].TextContent);
        Assert.Contains("手动", runs[0].TextContent);
        Assert.Contains("1,012", runs[0].TextContent);
        Assert.Contains("定时", runs[1].TextContent);
        Assert.DoesNotContain("9,999", page.Markup);
        Assert.Matches("1-10 (of|/ 共) 12", page.Markup);

        var entries = page.FindAll("[data-testid=job-runs-entries] tbody tr.mud-table-row");
        var entry = Assert.Single(entries);
        Assert.Contains("转让过期任务", entry.TextContent);
        Assert.Contains("ownership.expired", entry.TextContent);
        Assert.DoesNotContain("policy.changed", page.Markup);
        Assert.DoesNotContain("exit.escalated", page.Markup);
        Assert.NotNull(page.Find("a[href=retention]"));
    }
}
