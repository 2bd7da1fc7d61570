using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests.Features;

/// <summary>What staff may see (ADR 0007), as teacher2@school.demo sees it in Chromium.</summary>
[Collection(BrowserCollection.Name)]
public class ReadScopeBrowserTests(BrowserFixture fixture)
{
    // teacher2 teaches in teacher@'s three classes (demo seed); a transfer between the two keeps all three theirs.
    private static readonly string[] TheirClasses = ["高一(1)班", "高一(2)班", "物理竞赛班"];

    [Fact]
    public async Task Teacher2_SeesTheirOwnClassesOnly_AndNoOrganisationList()
    {
        long elsewhere;
        using (var http = new HttpClient { BaseAddress = new Uri(fixture.Server.BaseUrl) })
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "demo-school-hr-key");
            var found = await http.GetFromJsonAsync<JsonElement>("/api/v1/classes?search=" + Uri.EscapeDataString("高一(3)班"));
            elsewhere = found.GetProperty("items")[0].GetProperty("class_id").GetInt64();
        }

        var page = await fixture.SignedInPageAsync("teacher2@school.demo");
        try
        {
            await BrowserFixture.WaitForInteractiveAsync(page);
            // The home page counts their classes, not the organisation's.
            await Assertions.Expect(page.GetByTestId("dashboard-my-scope")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByTestId("count-classes")).ToHaveTextAsync(TheirClasses.Length.ToString());

            var links = await page.Locator(".mud-drawer a.mud-nav-link").EvaluateAllAsync<string[]>("links => links.map(a => a.getAttribute('href'))");
            Assert.Contains("classes", links);
            Assert.Contains("approvals", links);
            Assert.Contains("transfers", links);
            foreach (var hidden in new[] { "members", "exits", "retention", "sync-health", "audit", "policies" })
                Assert.DoesNotContain(hidden, links);

            await page.GotoAsync("/classes");
            await BrowserFixture.WaitForInteractiveAsync(page);
            var rows = page.GetByTestId("classes-grid").Locator("tbody tr.mud-table-row");
            await Assertions.Expect(rows).ToHaveCountAsync(TheirClasses.Length);
            foreach (var name in TheirClasses)
                await Assertions.Expect(rows.Filter(new() { HasText = name })).ToHaveCountAsync(1);

            // A class of the school in which they hold no role reads as not found; the directory is refused.
            await page.GotoAsync($"/classes/{elsewhere}");
            await Assertions.Expect(page.GetByTestId("class-not-found")).ToBeVisibleAsync();
            await page.GotoAsync("/members");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/Account/AccessDenied"));
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("拒绝访问");
        }
        catch (Exception ex)
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "read-scope-browser-failure.png"), FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nScreenshot: /tmp/read-scope-browser-failure.png. Portal output:\n{fixture.Server.Output()}");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
