using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests.Features;

[Collection(BrowserCollection.Name)]
public class OwnershipBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Teacher_ProposesTransfer_ColleagueAccepts_ClassShowsNewOwner()
    {
        var owner = await fixture.SignedInPageAsync("teacher@school.demo");
        IPage? colleague = null;
        try
        {
            await owner.GotoAsync("/classes");
            await BrowserFixture.WaitForInteractiveAsync(owner);
            var grid = owner.GetByTestId("classes-grid");
            await Assertions.Expect(grid.Locator("tbody tr").First).ToContainTextAsync("正常");
            await grid.Locator("tbody tr", new() { HasText = "高一(2)班" }).First.ClickAsync();
            await Assertions.Expect(owner).ToHaveURLAsync(new Regex("/classes/\\d+$"));
            var classUrl = owner.Url;
            await Assertions.Expect(owner.GetByTestId("class-owner")).ToHaveTextAsync("王老师 王建华");

            await owner.GetByTestId("transfer-ownership").ClickAsync();
            await owner.Locator("[data-testid=transfer-to]").First.ClickAsync();
            await owner.Locator(".mud-popover-open .mud-list-item", new() { HasText = "李老师 李明" }).ClickAsync();
            await owner.GetByTestId("submit-transfer").ClickAsync();
            await Assertions.Expect(owner.Locator(".mud-snackbar")).ToContainTextAsync("已发起转让");
            await Assertions.Expect(owner.GetByTestId("class-transfers")).ToContainTextAsync("待接受");

            colleague = await fixture.SignedInPageAsync("teacher2@school.demo");
            await colleague.GotoAsync("/transfers");
            await BrowserFixture.WaitForInteractiveAsync(colleague);
            var accept = colleague.Locator("[data-testid^=accept-]").First;
            await Assertions.Expect(accept).ToBeVisibleAsync();
            await accept.ClickAsync();
            await Assertions.Expect(colleague.Locator(".mud-snackbar")).ToContainTextAsync("已接受");

            await colleague.GotoAsync(classUrl);

            await BrowserFixture.WaitForInteractiveAsync(colleague);
            await Assertions.Expect(colleague.GetByTestId("class-owner")).ToHaveTextAsync("李老师 李明");
            await Assertions.Expect(colleague.GetByTestId("class-transfers")).ToContainTextAsync("已接受");
        }
        catch (Exception ex)
        {
            await owner.ScreenshotAsync(new() { Path = "/tmp/transfer-owner-failure.png", FullPage = true });
            if (colleague is not null) await colleague.ScreenshotAsync(new() { Path = "/tmp/transfer-colleague-failure.png", FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nScreenshots: /tmp/transfer-*-failure.png\n{fixture.Server.Output()}");
        }
        finally
        {
            await owner.Context.CloseAsync();
            if (colleague is not null) await colleague.Context.CloseAsync();
        }
    }
}
