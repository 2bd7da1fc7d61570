using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests.Features;

[Collection(BrowserCollection.Name)]
public class AuditBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Auditor_SearchesVerifiesAndExports()
    {
        var page = await fixture.SignedInPageAsync("auditor@school.demo");
        try
        {
            await page.GotoAsync("/audit");
            await BrowserFixture.WaitForInteractiveAsync(page);
            var table = page.GetByTestId("audit-table");
            await Assertions.Expect(table.Locator("tbody tr").First).ToBeVisibleAsync();

            await page.Locator("input[data-testid=filter-action], [data-testid=filter-action] input").First.FillAsync("auth.sign_in");
            await page.GetByTestId("search").ClickAsync();
            await Assertions.Expect(table.Locator("tbody tr").First).ToContainTextAsync("auth.sign_in");
            // The action reads in the reader's language beside its code.
            var actions = await table.Locator("tbody tr td:nth-child(3) code").AllInnerTextsAsync();
            Assert.NotEmpty(actions);
            foreach (var action in actions)
                Assert.StartsWith("auth.sign_in", action.Trim());

            await page.GetByTestId("verify-now").ClickAsync();
            await Assertions.Expect(page.GetByTestId("verify-result")).ToContainTextAsync("哈希链完整");

            var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("export-csv").ClickAsync());
            var path = Path.Combine(Path.GetTempPath(), $"audit-export-{Guid.NewGuid():N}.csv");
            await download.SaveAsAsync(path);
            var lines = await File.ReadAllLinesAsync(path);
            File.Delete(path);
            Assert.StartsWith("\uFEFFid,sequence,occurred_at_utc,action", lines[0]);
            var rows = lines.Skip(1).Where(l => l.Length > 0).ToList();
            Assert.NotEmpty(rows);
            Assert.All(rows, l => Assert.Contains(",auth.sign_in", l));
        }
        catch (Exception ex)
        {
            await page.ScreenshotAsync(new() { Path = "/tmp/audit-failure.png", FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nScreenshot: /tmp/audit-failure.png\n{fixture.Server.Output()}");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
