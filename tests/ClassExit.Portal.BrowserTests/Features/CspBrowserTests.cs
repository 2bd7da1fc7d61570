using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests.Features;

/// <summary>
/// The main journeys under the portal's Content-Security-Policy (ADR 0014) in real Chromium, with no violation: none reported to the
/// page (<c>securitypolicyviolation</c>), none in the console, none received by the portal's report endpoint. The listener is shown
/// to work first, on a violation the test makes on purpose.
/// </summary>
[Collection(BrowserCollection.Name)]
public class CspBrowserTests(BrowserFixture fixture)
{
    private const string ListenerScript = """
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', e => {
          window.__cspViolations.push(e.effectiveDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber);
          console.error('CSP violation: ' + e.effectiveDirective + ' ' + e.blockedURI);
        });
        """;

    private sealed class Watch
    {
        public List<string> Problems { get; } = [];

        public async Task<IPage> PageAsync(BrowserFixture fixture, string? email)
        {
            var page = email is null
                ? await (await fixture.Browser.NewContextAsync(new() { BaseURL = fixture.Server.BaseUrl, Locale = "zh-CN" })).NewPageAsync()
                : null;
            if (page is not null) await Attach(page);
            return page ?? await SignedInAsync(fixture, email!);
        }

        private async Task<IPage> SignedInAsync(BrowserFixture fixture, string email)
        {
            var context = await fixture.Browser.NewContextAsync(new() { BaseURL = fixture.Server.BaseUrl, Locale = "zh-CN" });
            context.SetDefaultTimeout(20_000);
            var page = await context.NewPageAsync();
            await Attach(page);
            await page.GotoAsync("/Account/Login");
            await page.FillAsync("#Input\\.Email", email);
            await page.FillAsync("#Input\\.Password", "Demo#2026!");
            await page.ClickAsync("#sign-in");
            await page.WaitForURLAsync(url => !url.Contains("/Account/Login"), new() { WaitUntil = WaitUntilState.Commit });
            return page;
        }

        private async Task Attach(IPage page)
        {
            await page.Context.AddInitScriptAsync(ListenerScript);
            page.Console += (_, m) =>
            {
                if (m.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || m.Text.StartsWith("CSP violation"))
                    lock (Problems) Problems.Add($"{page.Url}: {m.Text}");
            };
        }

        /// <summary>Violations the page's listener saw since it loaded (the console sees them too; this also catches one before any
        /// console listener could).</summary>
        public async Task CollectAsync(IPage page)
        {
            var seen = await page.EvaluateAsync<string[]>("() => window.__cspViolations || []");
            lock (Problems) Problems.AddRange(seen.Select(v => $"{page.Url}: {v}"));
        }
    }

    private static IReadOnlyList<string> Distinct(Watch watch)
    {
        lock (watch.Problems) return watch.Problems.Distinct().ToList();
    }

    [Fact]
    public async Task MainJourneys_UnderThePolicy_ReportNoViolation()
    {
        var reportsBefore = fixture.Server.OutputLines(l => l.Contains("CSP violation")).Count;

        // The listener works: an image from elsewhere is refused by img-src and reported, on a page of the portal.
        var probeWatch = new Watch();
        var probe = await probeWatch.PageAsync(fixture, null);
        await probe.GotoAsync("/Account/Login");
        await probe.EvaluateAsync("() => { const i = document.createElement('img'); i.src = 'http://192.0.2.1/x.png'; document.body.appendChild(i); }");
        await Assertions.Expect(probe.Locator("body")).ToBeVisibleAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            await probeWatch.CollectAsync(probe);
            if (Distinct(probeWatch).Any(p => p.Contains("img-src"))) break;
            await Task.Delay(100);
        }
        Assert.Contains(Distinct(probeWatch), p => p.Contains("img-src"));
        // …and the portal received the browser's report (the page stays open meanwhile: closing it may drop the report).
        deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline && fixture.Server.OutputLines(l => l.Contains("CSP violation")).Count == reportsBefore)
            await Task.Delay(100);
        await probe.Context.CloseAsync();
        var reportsAfterProbe = fixture.Server.OutputLines(l => l.Contains("CSP violation")).Count;
        Assert.True(reportsAfterProbe > reportsBefore, "the portal logged no CSP report for the probe:\n" + fixture.Server.Output());

        var watch = new Watch();
        // Signed out: the sign-in page.
        var anonymous = await watch.PageAsync(fixture, null);
        await anonymous.GotoAsync("/Account/Login");
        await Assertions.Expect(anonymous.Locator("#sign-in")).ToBeVisibleAsync();
        await watch.CollectAsync(anonymous);
        await anonymous.Context.CloseAsync();

        var page = await watch.PageAsync(fixture, "admin@school.demo");
        try
        {
            // Dashboard.
            await BrowserFixture.WaitForInteractiveAsync(page);
            await watch.CollectAsync(page);

            // Classes, a class page, the exit dialog.
            await page.GotoAsync("/classes");
            await BrowserFixture.WaitForInteractiveAsync(page);
            await page.GetByTestId("classes-grid").Locator("tbody tr", new() { HasText = "高一(1)班" }).First.ClickAsync();
            await Assertions.Expect(page.GetByTestId("class-name")).ToHaveTextAsync("高一(1)班");
            await page.GetByTestId("members-grid").Locator("button[data-testid^=start-exit-]").First.ClickAsync();
            await Assertions.Expect(page.GetByTestId("start-exit-dialog")).ToBeVisibleAsync();
            await EscapeUntilClosedAsync(page, page.GetByTestId("start-exit-dialog"));
            await watch.CollectAsync(page);

            // Approvals, a request, the reject dialog.
            await page.GotoAsync("/approvals");
            await BrowserFixture.WaitForInteractiveAsync(page);
            await page.GetByTestId("approval-grid").Locator("a[data-testid^=open-exit-]").First.ClickAsync();
            await Assertions.Expect(page.GetByTestId("exit-status")).ToBeVisibleAsync();
            await page.GetByTestId("reject").ClickAsync();
            await Assertions.Expect(page.GetByTestId("reject-dialog")).ToBeVisibleAsync();
            await EscapeUntilClosedAsync(page, page.GetByTestId("reject-dialog"));
            await watch.CollectAsync(page);

            // Audit, transfers.
            await page.GotoAsync("/audit");
            await BrowserFixture.WaitForInteractiveAsync(page);
            await Assertions.Expect(page.GetByTestId("audit-table").Locator("tbody tr").First).ToBeVisibleAsync();
            await watch.CollectAsync(page);
            await page.GotoAsync("/transfers");
            await BrowserFixture.WaitForInteractiveAsync(page);
            await watch.CollectAsync(page);

            // Two-factor enrolment: the QR code is a data: image, and it is drawn.
            await page.GotoAsync("/Account/Manage/EnableAuthenticator");
            var qr = page.GetByTestId("qr-code");
            await Assertions.Expect(qr).ToBeVisibleAsync();
            Assert.True(await qr.EvaluateAsync<int>("i => i.naturalWidth") > 0, "the QR code image did not load");
            await watch.CollectAsync(page);
        }
        finally
        {
            await page.Context.CloseAsync();
        }

        // The jobs dashboard, under its own policy.
        var operatorPage = await watch.PageAsync(fixture, "operator@platform.demo");
        try
        {
            foreach (var path in new[] { "/jobs", "/jobs/recurring", "/jobs/jobs/succeeded" })
            {
                await operatorPage.GotoAsync(path);
                await Assertions.Expect(operatorPage.Locator(".page-header").First).ToBeVisibleAsync();
                await watch.CollectAsync(operatorPage);
            }
        }
        finally
        {
            await operatorPage.Context.CloseAsync();
        }

        Assert.True(Distinct(watch).Count == 0, "CSP violations:\n" + string.Join("\n", Distinct(watch)));
        Assert.Equal(reportsAfterProbe, fixture.Server.OutputLines(l => l.Contains("CSP violation")).Count);
    }

    /// <summary>
    /// Escape closes a dialog once its key handler is attached, a moment after it is drawn: press until it is gone (10 s deadline).
    /// </summary>
    private static async Task EscapeUntilClosedAsync(IPage page, ILocator dialog)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            await page.Keyboard.PressAsync("Escape");
            try
            {
                await Assertions.Expect(dialog).ToHaveCountAsync(0, new() { Timeout = 500 });
                return;
            }
            catch (PlaywrightException) when (DateTime.UtcNow < until) { }
        }
    }
}
