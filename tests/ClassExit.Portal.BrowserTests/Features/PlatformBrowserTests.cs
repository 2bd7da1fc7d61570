using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests.Features;

/// <summary>Platform operators and the jobs: the platform's pages for the operator, the organisation's job runs for its admin.</summary>
[Collection(BrowserCollection.Name)]
public class PlatformBrowserTests(BrowserFixture fixture)
{
    /// <summary>The first row of a runs table (#, trigger, started, finished, state…) is a completed manual run started within five minutes after <c>since</c>.</summary>
    private const string NewestRunIsOurs = """
        ([testId, since]) => {
            const row = document.querySelector(`[data-testid=${testId}] tbody tr.mud-table-row`) ?? document.querySelector(`[data-testid=${testId}] tbody tr`);
            if (!row) return false;
            const cells = [...row.querySelectorAll('td')].map(td => td.innerText.trim());
            if (cells.length < 5 || cells[1] !== '手动' || cells[4] !== '已完成') return false;
            const m = cells[2].match(/(\d+)\/(\d+)\/(\d+) (\d+):(\d+):(\d+)/);
            const started = m && Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4] - 8, +m[5], +m[6]);
            return !!m && started >= since && started <= since + 5 * 60_000;
        }
        """;

    [Fact]
    public async Task PlatformOperator_LandsOnQuotaRequests_SeesOnlyPlatformPages_AndTheReadOnlyDashboard()
    {
        var page = await fixture.SignedInPageAsync("operator@platform.demo");
        try
        {
            await page.WaitForURLAsync("**/platform/quota-requests");
            await BrowserFixture.WaitForInteractiveAsync(page);
            await Assertions.Expect(page.GetByTestId("org-name")).ToHaveTextAsync("平台");
            var nav = page.Locator(".mud-drawer");
            await Assertions.Expect(nav).ToContainTextAsync("配额申请");
            await Assertions.Expect(nav.Locator("a[href=jobs]")).ToHaveCountAsync(1);
            foreach (var href in new[] { "classes", "members", "audit", "job-runs", "retention", "approvals" })
                await Assertions.Expect(nav.Locator($"a[href='{href}']")).ToHaveCountAsync(0);
            await page.ScreenshotAsync(new() { Path = "/tmp/platform-operator-home.png", FullPage = true });

            // Inside the circuit too, the dashboard of an organisation is not theirs: the router sends them home.
            await page.EvaluateAsync("() => Blazor.navigateTo('/')");
            // A navigation inside the circuit fires no load event: wait for the address only.
            await page.WaitForURLAsync("**/platform/quota-requests", new() { WaitUntil = WaitUntilState.Commit });
            await Assertions.Expect(page.GetByTestId("platform-quota-table")).ToBeVisibleAsync();

            foreach (var path in new[] { "/classes", "/members", "/audit" })
            {
                await page.GotoAsync(path);
                await page.WaitForURLAsync("**/Account/AccessDenied**");
            }
            await page.ScreenshotAsync(new() { Path = "/tmp/platform-operator-denied.png", FullPage = true });

            await page.GotoAsync("/Account/Manage");
            await Assertions.Expect(page.GetByTestId("profile")).ToContainTextAsync("平台");
            await Assertions.Expect(page.Locator("body")).ToContainTextAsync("平台账号不属于任何组织");
            await page.ScreenshotAsync(new() { Path = "/tmp/platform-operator-profile.png", FullPage = true });

            var dashboard = await page.GotoAsync("/jobs/recurring");
            Assert.Equal(200, dashboard!.Status);
            await Assertions.Expect(page.Locator("body")).ToContainTextAsync("retention-purge");
            // Read-only: no trigger or delete buttons.
            await Assertions.Expect(page.Locator("button.js-jobs-list-command")).ToHaveCountAsync(0);
            await page.ScreenshotAsync(new() { Path = "/tmp/platform-operator-jobs.png", FullPage = true });
        }
        catch (Exception ex)
        {
            await page.ScreenshotAsync(new() { Path = "/tmp/platform-failure.png", FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nScreenshot: /tmp/platform-failure.png\n{fixture.Server.Output()}");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Admin_OpensJobRuns_RunsThePurgeOnRetention_SeesTheRun_AndIsRefusedTheDashboard()
    {
        var page = await fixture.SignedInPageAsync("admin@school.demo");
        try
        {
            await BrowserFixture.WaitForInteractiveAsync(page);
            await page.Locator(".mud-drawer a[href=job-runs]").ClickAsync();
            await page.WaitForURLAsync("**/job-runs");
            await BrowserFixture.WaitForInteractiveAsync(page);
            await page.GetByTestId("job-runs-retention-link").ClickAsync();
            await page.WaitForURLAsync("**/retention");
            await BrowserFixture.WaitForInteractiveAsync(page);
            var since = DateTimeOffset.UtcNow.AddSeconds(-2).ToUnixTimeMilliseconds();
            await page.GetByTestId("run-now").ClickAsync();
            await BrowserFixture.StepUpAsync(page);
            // The retention page follows the run until it has finished; then the job-runs page lists it first (newest first), started
            // after the click as read in the organisation's time zone (Asia/Shanghai, UTC+8: a time shown in UTC would read 8 hours early).
            await page.WaitForFunctionAsync(NewestRunIsOurs, new object[] { "runs-table", since }, new() { Timeout = 30_000 });

            await page.GotoAsync("/job-runs");
            await BrowserFixture.WaitForInteractiveAsync(page);
            await page.WaitForFunctionAsync(NewestRunIsOurs, new object[] { "job-runs-purges", since });
            await Assertions.Expect(page.GetByTestId("job-runs-entries").Locator("tbody tr.mud-table-row", new() { HasText = "保留期清理" }).First)
                .ToBeVisibleAsync();
            await page.ScreenshotAsync(new() { Path = "/tmp/admin-job-runs.png", FullPage = true });

            var dashboard = await page.GotoAsync("/jobs");
            Assert.Equal(403, dashboard!.Status);
        }
        catch (Exception ex)
        {
            await page.ScreenshotAsync(new() { Path = "/tmp/job-runs-failure.png", FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nScreenshot: /tmp/job-runs-failure.png\n{fixture.Server.Output()}");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
    [Fact]
    public async Task QuotaIncrease_AskedByHr_ApprovedByThePlatformOperatorAcrossOrganisations()
    {
        var hr = await fixture.SignedInPageAsync("hr@school.demo");
        var platform = await fixture.SignedInPageAsync("operator@platform.demo");
        try
        {
            await hr.GotoAsync("/quota");
            await BrowserFixture.WaitForInteractiveAsync(hr);
            await hr.Locator("[data-testid=quota-requested] input, input[data-testid=quota-requested]").First.FillAsync("4321");
            await hr.Locator("[data-testid=quota-reason] input, input[data-testid=quota-reason]").First.FillAsync("期末批量调班");
            await hr.GetByTestId("quota-submit").ClickAsync();
            await Assertions.Expect(hr.Locator(".mud-snackbar")).ToContainTextAsync("等待平台运营审批");

            await platform.WaitForURLAsync("**/platform/quota-requests");
            await platform.ReloadAsync();
            await BrowserFixture.WaitForInteractiveAsync(platform);
            var row = platform.GetByTestId("platform-quota-table").Locator("tbody tr", new() { HasText = "期末批量调班" });
            await Assertions.Expect(row).ToContainTextAsync("Demo School");
            await platform.ScreenshotAsync(new() { Path = "/tmp/platform-operator-pending.png", FullPage = true });
            await row.GetByRole(AriaRole.Button, new() { Name = "批准" }).ClickAsync();
            await Assertions.Expect(platform.Locator(".mud-snackbar")).ToContainTextAsync("新配额立即生效");
            await Assertions.Expect(row).ToHaveCountAsync(0);

            await hr.ReloadAsync();
            await Assertions.Expect(hr.GetByTestId("quota-usage")).ToContainTextAsync("4,321");
        }
        catch (Exception ex)
        {
            await platform.ScreenshotAsync(new() { Path = "/tmp/quota-failure.png", FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nScreenshot: /tmp/quota-failure.png\n{fixture.Server.Output()}");
        }
        finally
        {
            await hr.Context.CloseAsync();
            await platform.Context.CloseAsync();
        }
    }
}
