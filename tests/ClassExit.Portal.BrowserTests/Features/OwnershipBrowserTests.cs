using ClassExit.Portal.Infrastructure.Authorization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
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

    [Fact]
    public async Task Admin_DissolvesClass_StepUpInTheDialog_WrongPasswordKeepsItOpen()
    {
        using var http = new HttpClient { BaseAddress = new Uri(fixture.Server.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "demo-school-hr-key");
        var classes = await http.GetFromJsonAsync<JsonElement>("/api/v1/classes?search=" + Uri.EscapeDataString("高一(7)班"));
        var classId = classes.GetProperty("items")[0].GetProperty("class_id").GetInt64();

        var page = await fixture.SignedInPageAsync("admin@school.demo");
        try
        {
            await page.GotoAsync($"/classes/{classId}");
            await BrowserFixture.WaitForInteractiveAsync(page);
            await page.GetByTestId("dissolve").ClickAsync();
            await page.Locator("input[data-testid=dissolve-reason], [data-testid=dissolve-reason] input").First.FillAsync("学期结束合班");
            var password = page.Locator("input[data-testid=dissolve-password], [data-testid=dissolve-password] input").First;
            await password.FillAsync("not-my-password");
            await page.GetByTestId("confirm-dissolve").ClickAsync();
            await Assertions.Expect(page.GetByTestId("dissolve-error")).ToContainTextAsync("50404");

            await password.FillAsync("Demo#2026!");
            await page.GetByTestId("confirm-dissolve").ClickAsync();
            await Assertions.Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("班级已解散");
            await Assertions.Expect(page.GetByText("解散时间")).ToBeVisibleAsync();
        }
        catch (Exception ex)
        {
            await page.ScreenshotAsync(new() { Path = "/tmp/dissolve-failure.png", FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nScreenshot: /tmp/dissolve-failure.png\n{fixture.Server.Output()}");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
