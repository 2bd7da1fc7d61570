using ClassExit.Portal.Infrastructure.Authorization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests.Features;

[Collection(BrowserCollection.Name)]
public class HrBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Hr_CreatesKeyInPortal_RunsBatchOverApi_SeesOutcomesInPortal()
    {
        var page = await fixture.SignedInPageAsync("hr@school.demo");
        try
        {
            await page.GotoAsync("/api-keys");
            await BrowserFixture.WaitForInteractiveAsync(page);
            await Assertions.Expect(page.GetByTestId("keys-table")).ToContainTextAsync("HR 系统（演示）");
            await page.Locator("input[data-testid=key-name], [data-testid=key-name] input").First.FillAsync("浏览器测试 key");
            await page.Locator("[data-testid=key-owner]").First.ClickAsync();
            await page.Locator(".mud-popover-open .mud-list-item").First.ClickAsync();
            await page.GetByTestId("create-key").ClickAsync();
            await BrowserFixture.StepUpAsync(page);
            var secret = (await page.GetByTestId("new-key").Locator("code").InnerTextAsync()).Trim();
            Assert.StartsWith("cek_", secret);

            using var http = new HttpClient { BaseAddress = new Uri(fixture.Server.BaseUrl) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
            var me = await http.GetFromJsonAsync<JsonElement>("/api/v1/me");
            var classes = await http.GetFromJsonAsync<JsonElement>("/api/v1/classes?search=" + Uri.EscapeDataString("英语角"));
            var classId = classes.GetProperty("items")[0].GetProperty("class_id").GetInt64();
            var members = await http.GetFromJsonAsync<JsonElement>($"/api/v1/classes/{classId}/members?page_size=100");
            var interns = members.GetProperty("items").EnumerateArray().Where(m => m.GetProperty("class_role").GetString() == "student")
                .Take(4).Select(m => m.GetProperty("member_id").GetInt64()).ToArray();
            var response = await http.PostAsJsonAsync("/api/v1/exits/batch", new
            {
                operator_id = me.GetProperty("owner_member_id").GetInt64(), class_ids = new[] { classId }, member_ids = interns, reason_code = "200002",
            });
            response.EnsureSuccessStatusCode();
            var batchId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("batch_id").GetInt64();

            await page.GotoAsync("/batches");
            var grid = page.GetByTestId("batches-grid");
            var row = grid.Locator("tbody tr", new() { HasText = $"#{batchId}" });
            await Assertions.Expect(row).ToContainTextAsync("完成 4");
            await row.Locator("a").First.ClickAsync();
            await Assertions.Expect(page.GetByTestId("batch-items").Locator("tbody tr")).ToHaveCountAsync(4);
            await Assertions.Expect(page.GetByTestId("batch-items")).ToContainTextAsync("英语角");
        }
        catch (Exception ex)
        {
            await page.ScreenshotAsync(new() { Path = "/tmp/hr-failure.png", FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nScreenshot: /tmp/hr-failure.png\n{fixture.Server.Output()}");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
