using System.Text.RegularExpressions;
using ClassExit.Portal.Tests.Shared;
using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests.Features;

[Collection(BrowserCollection.Name)]
public class LocalizationBrowserTests(BrowserFixture fixture)
{
    // What a person reads: the text of the page without <code> (codes stay codes) and translate="no" (people's names), plus
    // placeholders, labels and titles.
    private const string ReadableTextScript = """
        () => {
          const body = document.body.cloneNode(true);
          body.querySelectorAll('code, script, style, template, [translate=no], #blazor-error-ui, #components-reconnect-modal').forEach(e => e.remove());
          // Proper names are not translated (rendered with translate=no); a label that names a row's person ("操作: Mia Taylor")
          // carries one too, so the page's own names are taken out of the labels before they are read.
          const names = [...new Set([...document.querySelectorAll('[translate=no]')].map(e => e.textContent.trim()).filter(n => n.length > 1))]
            .sort((a, b) => b.length - a.length);
          const attrs = [...document.querySelectorAll('[placeholder], [aria-label], [title]')]
            .map(e => [e.getAttribute('placeholder'), e.getAttribute('aria-label'), e.getAttribute('title')].filter(Boolean).join(' '))
            .map(a => names.reduce((t, n) => t.split(n).join(' '), a));
          return body.textContent + ' ' + attrs.join(' ');
        }
        """;

    [Fact]
    public async Task Admin_SwitchesToChinese_EveryPageReadsInChinese_AndTheChoiceIsKept()
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = fixture.Server.BaseUrl, Locale = "en-US" });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        var visited = new List<string>();
        try
        {
            // An English browser gets the English sign-in page and portal.
            await page.GotoAsync("/Account/Login");
            await Assertions.Expect(page.Locator("#sign-in")).ToHaveTextAsync("Sign in");
            await page.FillAsync("#Input\\.Email", "admin@school.demo");
            await page.FillAsync("#Input\\.Password", "Demo#2026!");
            await page.ClickAsync("#sign-in");
            await page.WaitForURLAsync(url => !url.Contains("/Account/Login"), new() { WaitUntil = WaitUntilState.Commit });
            await BrowserFixture.WaitForInteractiveAsync(page);
            // The server's database is new for each run and only this test chooses a language for this account: English.
            var nav = page.Locator(".mud-drawer");
            await Assertions.Expect(nav).ToContainTextAsync("Dashboard");
            await Assertions.Expect(nav).Not.ToContainTextAsync("概览");

            // The switcher in the app bar: 中文.
            await page.GetByTestId("language-menu").ClickAsync();
            await page.GetByTestId("lang-zh").ClickAsync();
            await Assertions.Expect(nav).ToContainTextAsync("概览");
            await BrowserFixture.WaitForInteractiveAsync(page);

            var links = await nav.Locator("a.mud-nav-link").EvaluateAllAsync<string[]>("links => links.map(a => a.getAttribute('href'))");
            Assert.True(links.Length >= 15, $"only {links.Length} navigation links");
            foreach (var href in links.Where(h => h is not null && !h.StartsWith("jobs", StringComparison.Ordinal)))
            {
                await page.GotoAsync("/" + href);
                // The account pages are static (no circuit).
                if (!href.StartsWith("Account", StringComparison.Ordinal)) await BrowserFixture.WaitForInteractiveAsync(page);
                // Grids load their rows once the circuit is up: read the page once it has settled (their loading text is localised too).
                await SettledAsync(page);
                // The long lists must have their rows (names of people included) before they are read.
                if (href is "classes" or "members") await Assertions.Expect(page.Locator("tbody tr").Nth(5)).ToBeVisibleAsync();
                visited.Add(href);
                await AssertChineseAsync(page, href);
            }

            // Pages reached from the lists, and the policy editor's tabs.
            await page.GotoAsync("/classes");
            await BrowserFixture.WaitForInteractiveAsync(page);
            await page.GetByTestId("classes-grid").Locator("tbody tr", new() { HasText = "高一(1)班" }).First.ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/classes/\\d+$"));
            await Assertions.Expect(page.GetByTestId("members-grid").Locator("tbody tr").First).ToContainTextAsync("创建者");
            await AssertChineseAsync(page, "class detail");
            await page.GetByTestId("members-grid").Locator("tbody tr", new() { HasText = "学生" }).First.Locator("a").First.ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/members/\\d+$"));
            await SettledAsync(page);
            await AssertChineseAsync(page, "member detail");

            await page.GotoAsync("/policies");
            await BrowserFixture.WaitForInteractiveAsync(page);
            foreach (var tab in new[] { "班级策略", "交接清单", "设备绑定" })
            {
                await page.GetByRole(AriaRole.Tab, new() { Name = tab }).ClickAsync();
                // The tab is the selected one before its panel is read.
                await page.WaitForFunctionAsync("name => [...document.querySelectorAll('[role=tab]')].some(t => t.textContent.trim() === name && (t.getAttribute('aria-selected') === 'true' || t.classList.contains('mud-tab-active')))",
                    tab, new() { PollingInterval = 100, Timeout = 15_000 });
                await SettledAsync(page);
                await AssertChineseAsync(page, "policies/" + tab);
            }

            // The choice is stored for the user: a new English browser signing in gets Chinese.
            var again = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = fixture.Server.BaseUrl, Locale = "en-US" });
            var second = await again.NewPageAsync();
            await second.GotoAsync("/Account/Login");
            await second.FillAsync("#Input\\.Email", "admin@school.demo");
            await second.FillAsync("#Input\\.Password", "Demo#2026!");
            await second.ClickAsync("#sign-in");
            await second.WaitForURLAsync(url => !url.Contains("/Account/Login"), new() { WaitUntil = WaitUntilState.Commit });
            await Assertions.Expect(second.Locator(".mud-drawer")).ToContainTextAsync("概览");
            await again.CloseAsync();
        }
        catch (Exception ex)
        {
            await page.ScreenshotAsync(new() { Path = "/tmp/localization-failure.png", FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nVisited: {string.Join(", ", visited)}\nScreenshot: /tmp/localization-failure.png\n{fixture.Server.Output()}");
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    /// <summary>
    /// Waits (with a deadline, no fixed sleep) until no grid shows its loading row and the page's text is the same on two polls in
    /// a row: the rows the circuit loads are there before the page is read.
    /// </summary>
    private static Task SettledAsync(IPage page) =>
        page.WaitForFunctionAsync("""
            () => {
              const busy = document.querySelector('.mud-table-loading, .mud-skeleton');
              const text = document.body.innerText;
              const same = window.__settledText === text;
              window.__settledText = text;
              return !busy && same;
            }
            """, null, new() { PollingInterval = 250, Timeout = 15_000 });

    private static async Task AssertChineseAsync(IPage page, string where)
    {
        var text = await page.EvaluateAsync<string>(ReadableTextScript);
        Assert.Matches("[\u4e00-\u9fff]", text);
        var english = ReadableText.EnglishWords(text);
        Assert.True(english.Count == 0, $"{where} shows English: {ReadableText.Describe(text, english)}");
    }
}
