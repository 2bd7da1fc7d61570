using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.AspNetCore.Components;
using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests.Features;

/// <summary>
/// WCAG 2.2 AA as axe-core checks it (Deque.AxeCore.Playwright, tags wcag2a, wcag2aa, wcag21a, wcag21aa, wcag22aa) on every page the
/// portal routes, as an enterprise admin, in Chinese and in English, with the dialogs of the main journeys open. Any violation fails,
/// whatever its impact. The routes come from the portal's assembly, so a new page is scanned without touching this test.
/// </summary>
[Collection(BrowserCollection.Name)]
public class AccessibilityBrowserTests(BrowserFixture fixture)
{
    public static readonly string[] Tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

    private const string Admin = "admin@school.demo";

    /// <summary>Every @page template of the portal, from its assembly.</summary>
    public static IReadOnlyList<string> RouteTemplates() =>
        typeof(ClassExit.Portal.Components.App).Assembly.GetTypes()
            .Where(t => typeof(IComponent).IsAssignableFrom(t))
            .SelectMany(t => t.GetCustomAttributes<RouteAttribute>())
            .Select(r => "/" + r.Template.TrimStart('/'))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            // Visiting it resets the authenticator key (a new security stamp): scanned last, after every other page.
            .OrderBy(t => t.Equals("/Account/Manage/EnableAuthenticator", StringComparison.OrdinalIgnoreCase))
            .ThenBy(t => t, StringComparer.Ordinal)
            .ToList();

    /// <summary>Whether only a platform operator may open the page (its component's [Authorize] policy).</summary>
    private static bool PlatformOnly(string template) =>
        typeof(ClassExit.Portal.Components.App).Assembly.GetTypes()
            .Where(t => t.GetCustomAttributes<RouteAttribute>().Any(r => "/" + r.Template.TrimStart('/') == template))
            .Any(t => t.GetCustomAttribute<Microsoft.AspNetCore.Authorization.AuthorizeAttribute>()?.Policy == ClassExit.Portal.Infrastructure.Policies.PlatformOperator);

    [Fact]
    public void TheRouteListIsTakenFromTheAssembly()
    {
        var routes = RouteTemplates();
        Assert.Contains("/", routes);
        Assert.Contains("/classes/{ClassId:long}", routes);
        Assert.Contains("/Account/Manage", routes);
        Assert.True(routes.Count >= 30, $"only {routes.Count} routes found");
    }

    [Fact]
    public async Task EveryPage_AndTheMainDialogs_HaveNoAxeViolations_InChineseAndInEnglish()
    {
        var batchId = await CreateBatchAsync();
        var page = await fixture.SignedInPageAsync(Admin);
        var report = new List<string>();
        var scanned = new List<string>();
        try
        {
            var ids = await DetailIdsAsync(page, batchId);
            var routes = RouteTemplates();
            foreach (var culture in new[] { "zh-CN", "en" })
            {
                if (culture != "zh-CN")
                {
                    // The first language's last page (EnableAuthenticator) gave the account a new security stamp: sign in again.
                    await page.Context.CloseAsync();
                    page = await fixture.SignedInPageAsync(Admin);
                }
                await SetCultureAsync(page, culture);
                foreach (var template in routes.Where(t => !PlatformOnly(t)))
                {
                    var path = Resolve(template, ids);
                    await OpenAsync(page, path);
                    await ScanAsync(page, $"{culture} {path}", report, scanned);
                    // Every tab of a tabbed page (policies: organisation, classes, checklists, device binding).
                    var tabs = page.Locator("#main-content [role=tab]");
                    for (var i = 1; i < await tabs.CountAsync(); i++)
                    {
                        await tabs.Nth(i).ClickAsync();
                        await SettledAsync(page);
                        await ScanAsync(page, $"{culture} {path} tab {i}", report, scanned);
                    }
                }
                await ScanDialogsAsync(page, culture, ids, report, scanned);
            }

            // The platform's own pages are a platform operator's: scanned signed in as one (an admin is sent to "access denied").
            var platformRoutes = routes.Where(PlatformOnly).ToList();
            Assert.NotEmpty(platformRoutes);
            var operatorPage = await fixture.SignedInPageAsync("operator@platform.demo");
            try
            {
                foreach (var culture in new[] { "zh-CN", "en" })
                {
                    await SetCultureAsync(operatorPage, culture);
                    foreach (var template in platformRoutes)
                    {
                        await OpenAsync(operatorPage, template);
                        await ScanAsync(operatorPage, $"{culture} {template} (platform operator)", report, scanned);
                    }
                }
            }
            finally
            {
                await SetCultureAsync(operatorPage, "zh-CN");
                await operatorPage.Context.CloseAsync();
            }

            Assert.True(scanned.Count >= 2 * RouteTemplates().Count + 8, $"only {scanned.Count} scans ran");
            Assert.True(report.Count == 0, $"axe found violations ({report.Count}):\n" + string.Join("\n", report));
        }
        catch (Exception ex)
        {
            var shot = Path.Combine(Path.GetTempPath(), "accessibility-failure.png");
            await page.ScreenshotAsync(new() { Path = shot, FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nScreenshot: {shot}\nScanned: {string.Join(", ", scanned)}\n{fixture.Server.Output()}");
        }
        finally
        {
            // The switch is stored per user: leave the demo admin in Chinese for the other tests.
            await SetCultureAsync(page, "zh-CN");
            await page.Context.CloseAsync();
        }
    }

    /// <summary>The exit, reject, transfer and step-up dialogs, each open over its page.</summary>
    private static async Task ScanDialogsAsync(IPage page, string culture, IReadOnlyDictionary<string, string> ids, List<string> report, List<string> scanned)
    {
        // Exit: from a class's member list.
        await OpenAsync(page, $"/classes/{ids["ClassId"]}");
        var members = page.GetByTestId("members-grid");
        await Assertions.Expect(members.Locator("tbody tr").First).ToBeVisibleAsync();
        // A student's row (the owner is refused with 50101, which is another view of the dialog).
        var student = members.Locator("tbody tr", new() { HasText = culture == "en" ? "Student" : "学生", Has = page.Locator("[data-testid^=start-exit-]") }).First;
        await student.Locator("[data-testid^=start-exit-]").ClickAsync();
        var exit = page.GetByTestId("start-exit-dialog");
        await Assertions.Expect(exit).ToBeVisibleAsync();
        await SettledAsync(page);
        await ScanAsync(page, $"{culture} exit dialog", report, scanned);
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(exit).ToHaveCountAsync(0);

        // Transfer: the admin's forced transfer (or an owner's own transfer) from the same class page.
        var transfer = page.Locator("[data-testid=force-transfer], [data-testid=transfer-ownership]").First;
        await transfer.ClickAsync();
        var transferDialog = page.Locator(".mud-dialog").First;
        await Assertions.Expect(transferDialog).ToBeVisibleAsync();
        await SettledAsync(page);
        await ScanAsync(page, $"{culture} transfer dialog", report, scanned);
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator(".mud-dialog")).ToHaveCountAsync(0);

        // Reject: select the first waiting request; the reason field has focus and Escape closes the dialog.
        await OpenAsync(page, "/approvals");
        var grid = page.GetByTestId("approval-grid");
        await Assertions.Expect(grid.Locator("tbody tr").First).ToBeVisibleAsync();
        await grid.Locator("tbody tr").First.Locator("input[type=checkbox]").CheckAsync();
        await page.GetByTestId("reject-selected").ClickAsync();
        var reject = page.GetByTestId("reject-dialog");
        await Assertions.Expect(reject).ToBeVisibleAsync();
        await Assertions.Expect(reject.Locator("textarea").First).ToBeFocusedAsync();
        await ScanAsync(page, $"{culture} reject dialog", report, scanned);
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(reject).ToHaveCountAsync(0);

        // Step-up: disabling an account asks for the password again.
        await OpenAsync(page, "/users");
        var actions = page.Locator("[data-testid^=user-actions-]").Filter(new() { HasNot = page.Locator($"[data-testid='user-actions-{Admin}']") });
        await actions.Nth(1).Locator("button").First.ClickAsync();
        await page.Locator(".mud-popover-open .mud-menu-item, .mud-popover-open .mud-list-item").Nth(1).ClickAsync();
        var stepUp = page.GetByTestId("step-up-dialog");
        await Assertions.Expect(stepUp).ToBeVisibleAsync();
        await SettledAsync(page);
        await ScanAsync(page, $"{culture} step-up dialog", report, scanned);
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(stepUp).ToHaveCountAsync(0);
    }

    private static async Task ScanAsync(IPage page, string name, List<string> report, List<string> scanned)
    {
        var result = await page.RunAxe(new AxeRunOptions
        {
            RunOnly = new RunOnlyOptions { Type = "tag", Values = [.. Tags] },
        });
        scanned.Add(name);
        foreach (var violation in result.Violations)
        {
            var line = new StringBuilder($"{name}: [{violation.Impact}] {violation.Id} ({violation.Nodes.Length}) {violation.Help}");
            foreach (var node in violation.Nodes.Take(3))
                line.Append($"\n    {node.Target} :: {node.Html[..Math.Min(node.Html.Length, 160)]}");
            report.Add(line.ToString());
        }
    }

    /// <summary>Opens a page, fails on an error status or an unexpected redirect, and waits for its data.</summary>
    private static async Task OpenAsync(IPage page, string path)
    {
        var response = await page.GotoAsync(path);
        Assert.True(response is { Ok: true }, $"{path} answered {response?.Status}");
        var landed = new Uri(page.Url).AbsolutePath;
        var expected = path.Split('?')[0];
        Assert.True(landed.Equals(expected, StringComparison.OrdinalIgnoreCase), $"{path} ended at {page.Url}");
        if (!path.Equals("/not-found", StringComparison.OrdinalIgnoreCase))
            Assert.True(await page.GetByTestId("not-found").CountAsync() == 0, $"{path} shows \"page not found\"");
        if (await page.Locator("#circuit-state").CountAsync() > 0 && !path.StartsWith("/Account", StringComparison.OrdinalIgnoreCase)
            && !path.Equals("/not-found", StringComparison.OrdinalIgnoreCase))
            await BrowserFixture.WaitForInteractiveAsync(page);
        await SettledAsync(page);
    }

    /// <summary>Waits (with a deadline) until no loading bar or loading grid is left and the circuit has rendered its data.</summary>
    private static async Task SettledAsync(IPage page)
    {
        await page.WaitForFunctionAsync(
            "() => document.querySelectorAll('.mud-progress-indeterminate, .mud-table-loading, .mud-skeleton').length === 0",
            null, new() { Timeout = 15_000, PollingInterval = 100 });
        // Then until the DOM has been quiet for 300 ms (rows, chips and dialogs render in several passes over the circuit).
        await page.EvaluateAsync(@"() => new Promise((resolve, reject) => {
            let timer = setTimeout(done, 300);
            const observer = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(done, 300); });
            const deadline = setTimeout(() => { observer.disconnect(); reject(new Error('the page kept changing for 10 s')); }, 10000);
            function done() { observer.disconnect(); clearTimeout(deadline); resolve(); }
            observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
        })");
    }

    private static async Task SetCultureAsync(IPage page, string culture) =>
        await page.GotoAsync($"/culture/set?culture={culture}&redirectUri=%2F");

    private static string Resolve(string template, IReadOnlyDictionary<string, string> ids)
    {
        var path = template;
        while (path.IndexOf('{') is var start and >= 0)
        {
            var end = path.IndexOf('}', start);
            var name = path[(start + 1)..end].Split(':')[0].TrimEnd('?');
            Assert.True(ids.TryGetValue(name, out var id), $"No demo id for {{{name}}} in {template}: add how to find one to DetailIdsAsync.");
            path = path[..start] + id + path[(end + 1)..];
        }
        return path;
    }

    /// <summary>Real ids from the demo data, taken from the pages' own links (the first row of each list).</summary>
    private static async Task<IReadOnlyDictionary<string, string>> DetailIdsAsync(IPage page, long batchId)
    {
        async Task<string> FirstLinkIdAsync(string listPath, string linkSelector)
        {
            await OpenAsync(page, listPath);
            var link = page.Locator(linkSelector).First;
            await Assertions.Expect(link).ToBeVisibleAsync();
            var href = await link.GetAttributeAsync("href") ?? "";
            return href.TrimEnd('/').Split('/')[^1];
        }

        return new Dictionary<string, string>
        {
            ["ClassId"] = await FirstLinkIdAsync("/classes", "[data-testid=class-link]"),
            ["MemberId"] = await FirstLinkIdAsync("/members", "[data-testid=member-link]"),
            ["ExitRequestId"] = await FirstLinkIdAsync("/approvals", "[data-testid^=open-exit-]"),
            ["BatchId"] = batchId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    /// <summary>
    /// The demo has no bulk exit yet: HR runs one over the API (the HR operator in a class they are not in, so it is skipped and
    /// changes no membership), and its page is scanned.
    /// </summary>
    private async Task<long> CreateBatchAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri(fixture.Server.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "demo-school-hr-key");
        var me = await http.GetFromJsonAsync<JsonElement>("/api/v1/me");
        var hr = me.GetProperty("owner_member_id").GetInt64();
        var classes = await http.GetFromJsonAsync<JsonElement>("/api/v1/classes?page_size=50");
        foreach (var c in classes.GetProperty("items").EnumerateArray())
        {
            var classId = c.GetProperty("class_id").GetInt64();
            var members = await http.GetFromJsonAsync<JsonElement>($"/api/v1/classes/{classId}/members?page_size=100");
            if (members.GetProperty("items").EnumerateArray().Any(m => m.GetProperty("member_id").GetInt64() == hr)) continue;
            var response = await http.PostAsJsonAsync("/api/v1/exits/batch", new
            {
                operator_id = hr, class_ids = new[] { classId }, member_ids = new[] { hr }, reason_code = "200002",
            });
            response.EnsureSuccessStatusCode();
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("batch_id").GetInt64();
        }
        throw new InvalidOperationException("No class without the HR operator in the demo data.");
    }
}
