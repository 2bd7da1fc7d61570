using ClassExit.Portal.Infrastructure.Authorization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests.Features;

[Collection(BrowserCollection.Name)]
public class RetentionBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Admin_RunsPurgeNow_AndExportsALeaversMessagesEncrypted()
    {
        // A student leaves through the client API first, so that the member page has a retention timeline.
        using var http = new HttpClient { BaseAddress = new Uri(fixture.Server.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "demo-school-hr-key");
        var classes = await http.GetFromJsonAsync<JsonElement>("/api/v1/classes?search=" + Uri.EscapeDataString("高二(12)班"));
        var classId = classes.GetProperty("items")[0].GetProperty("class_id").GetInt64();
        var members = await http.GetFromJsonAsync<JsonElement>($"/api/v1/classes/{classId}/members?page_size=100");
        var student = members.GetProperty("items").EnumerateArray().First(m => m.GetProperty("class_role").GetString() == "student").GetProperty("member_id").GetInt64();
        var exit = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/classes/{classId}/exits") { Content = JsonContent.Create(new { member_id = student, channel = "pc", verification = "sms" }) };
        exit.Headers.Add("X-Client-Version", "3.2.0");
        // From one of the student's own devices: a device the member never registered is refused (50205).
        var devices = await http.GetFromJsonAsync<JsonElement>($"/api/v1/members/{student}/devices");
        exit.Headers.Add("X-Device-Id", devices.GetProperty("items")[0].GetProperty("device_id").GetString());
        exit.Headers.Add("X-Device-Time", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:sszzz"));
        (await http.SendAsync(exit)).EnsureSuccessStatusCode();

        var page = await fixture.SignedInPageAsync("admin@school.demo");
        try
        {
            await page.GotoAsync("/retention");
            await BrowserFixture.WaitForInteractiveAsync(page);
            var runs = page.GetByTestId("runs-table");
            var before = await runs.Locator("tbody tr", new() { HasText = "手动" }).CountAsync();
            await page.GetByTestId("run-now").ClickAsync();
            // The confirmation says what will happen (messages due, of how many leavers) and asks for step-up in the same dialog.
            await Assertions.Expect(page.GetByTestId("step-up-dialog")).ToContainTextAsync("名离开者的");
            await BrowserFixture.StepUpAsync(page);
            await Assertions.Expect(runs.Locator("tbody tr", new() { HasText = "已完成" }).Filter(new() { HasText = "手动" }))
                .ToHaveCountAsync(before + 1, new() { Timeout = 30_000 });

            await page.GotoAsync($"/members/{student}");
            await BrowserFixture.WaitForInteractiveAsync(page);
            var timeline = page.GetByTestId("retention-timeline");
            await Assertions.Expect(timeline).ToContainTextAsync("高二(12)班");
            var row = timeline.Locator("tbody tr", new() { HasText = "高二(12)班" });
            {
                await row.Locator("button").ClickAsync();
                await page.GetByTestId("export-password").FillAsync("a-long-export-password");
                var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("export-submit").ClickAsync());
                var path = Path.Combine(Path.GetTempPath(), $"export-{Guid.NewGuid():N}.zip");
                await download.SaveAsAsync(path);
                var bytes = await File.ReadAllBytesAsync(path);
                File.Delete(path);
                Assert.Equal((byte)'P', bytes[0]);
                Assert.Equal((byte)'K', bytes[1]);
            }
        }
        catch (Exception ex)
        {
            await page.ScreenshotAsync(new() { Path = "/tmp/retention-failure.png", FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nScreenshot: /tmp/retention-failure.png\n{fixture.Server.Output()}");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
