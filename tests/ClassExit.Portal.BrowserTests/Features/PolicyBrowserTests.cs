using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests.Features;

[Collection(BrowserCollection.Name)]
public class PolicyBrowserTests(BrowserFixture fixture)
{
    private async Task<int> StudentExitStatusAsync(string className, int studentIndex)
    {
        using var http = new HttpClient { BaseAddress = new Uri(fixture.Server.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "demo-finance-hr-key");
        var classes = await http.GetFromJsonAsync<JsonElement>("/api/v1/classes?search=" + Uri.EscapeDataString(className));
        var classId = classes.GetProperty("items")[0].GetProperty("class_id").GetInt64();
        var members = await http.GetFromJsonAsync<JsonElement>($"/api/v1/classes/{classId}/members?page_size=100");
        var student = members.GetProperty("items").EnumerateArray().Where(m => m.GetProperty("class_role").GetString() == "student" && m.GetProperty("state").GetString() == "active")
            .Skip(studentIndex).First().GetProperty("member_id").GetInt64();
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/classes/{classId}/exits") { Content = JsonContent.Create(new { member_id = student, channel = "pc", verification = "sms" }) };
        request.Headers.Add("X-Client-Version", "3.2.0");
        request.Headers.Add("X-Device-Id", "browser-test");
        request.Headers.Add("X-Device-Time", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:sszzz"));
        return (int)(await http.SendAsync(request)).StatusCode;
    }

    [Fact]
    public async Task FinanceAdmin_TurnsApprovalOffAndOn_NextStudentExitFollows()
    {
        var page = await fixture.SignedInPageAsync("admin@finance.demo");
        try
        {
            await page.GotoAsync("/policies");
            await BrowserFixture.WaitForInteractiveAsync(page);
            var approval = page.Locator("[data-testid=policy-approval] input, input[data-testid=policy-approval]").First;
            await Assertions.Expect(approval).ToBeCheckedAsync();
            await approval.ClickAsync();
            await page.Locator("input[data-testid=policy-password], [data-testid=policy-password] input").First.FillAsync("Demo#2026!");
            await page.GetByTestId("policy-preview").ClickAsync();
            await Assertions.Expect(page.GetByTestId("policy-impact")).ToContainTextAsync("ExitRequiresApproval: True → False");
            await page.GetByTestId("policy-save").ClickAsync();
            await Assertions.Expect(page.Locator(".mud-snackbar").First).ToContainTextAsync("策略已保存");
            Assert.Equal(200, await StudentExitStatusAsync("Excel 数据分析 1班", 0));

            await approval.ClickAsync();
            await page.Locator("input[data-testid=policy-password], [data-testid=policy-password] input").First.FillAsync("Demo#2026!");
            await page.GetByTestId("policy-save").ClickAsync();
            await Assertions.Expect(approval).ToBeCheckedAsync();
            await Assertions.Expect(page.Locator(".mud-snackbar").Last).ToContainTextAsync("策略已保存");
            Assert.Equal(202, await StudentExitStatusAsync("Excel 数据分析 1班", 1));
        }
        catch (Exception ex)
        {
            await page.ScreenshotAsync(new() { Path = "/tmp/policy-failure.png", FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nScreenshot: /tmp/policy-failure.png\n{fixture.Server.Output()}");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
