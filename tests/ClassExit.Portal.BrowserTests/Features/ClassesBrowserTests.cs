using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests.Features;

[Collection(BrowserCollection.Name)]
public class ClassesBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task SchoolAdmin_SearchesClasses_OpensClass_SeesMembers()
    {
        var page = await fixture.SignedInPageAsync("admin@school.demo");
        try
        {
            await Assertions.Expect(page.GetByTestId("org-name")).ToContainTextAsync("Demo School");

            await page.GotoAsync("/classes");

            await BrowserFixture.WaitForInteractiveAsync(page);
            var grid = page.GetByTestId("classes-grid");
            // ServerData runs only once the circuit is up (the prerendered grid shows "no records"): wait for real rows.
            await Assertions.Expect(grid.Locator("tbody tr").First).ToContainTextAsync("正常");

            await SearchBox(page).FillAsync("高一(1");
            var row = grid.Locator("tbody tr", new() { HasText = "高一(1)班" });
            await Assertions.Expect(row.First).ToBeVisibleAsync();
            await Assertions.Expect(grid.Locator("tbody tr", new() { HasText = "高二" })).ToHaveCountAsync(0);

            await grid.Locator("tbody tr", new() { HasText = "高一(1)班" }).First.ClickAsync();
            // Blazor navigates in the page (no load event): poll the URL instead of waiting for a navigation.
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/classes/\\d+$"));
            await Assertions.Expect(page.GetByTestId("class-name")).ToHaveTextAsync("高一(1)班");
            var members = page.GetByTestId("members-grid");
            await Assertions.Expect(members.Locator("tbody tr").First).ToContainTextAsync("创建者");
            await Assertions.Expect(members).ToContainTextAsync("王老师 王建华");
            await Assertions.Expect(members).ToContainTextAsync("学生");
        }
        catch (Exception ex)
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "classes-browser-failure.png"), FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nScreenshot: /tmp/classes-browser-failure.png. Portal output:\n{fixture.Server.Output()}");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    // MudTextField puts user attributes on the input itself in some versions and on its wrapper in others.
    private static ILocator SearchBox(IPage page) => page.Locator("input[data-testid=classes-search], [data-testid=classes-search] input").First;

    [Fact]
    public async Task FinanceAdmin_SeesOnlyFinanceClasses()
    {
        var page = await fixture.SignedInPageAsync("admin@finance.demo");
        try
        {
            await page.GotoAsync("/classes");
            await BrowserFixture.WaitForInteractiveAsync(page);
            var grid = page.GetByTestId("classes-grid");
            await Assertions.Expect(grid.Locator("tbody tr").First).ToContainTextAsync("正常");
            await Assertions.Expect(grid).ToContainTextAsync("销售培训班");
            await SearchBox(page).FillAsync("高一");
            await Assertions.Expect(grid).ToContainTextAsync("没有匹配的班级");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
