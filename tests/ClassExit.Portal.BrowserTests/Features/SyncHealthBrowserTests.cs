using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests.Features;

[Collection(BrowserCollection.Name)]
public class SyncHealthBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Admin_SeesPerNetworkFiguresAndStaleDevices_ForcesAResync()
    {
        var page = await fixture.SignedInPageAsync("admin@school.demo");
        try
        {
            await page.GotoAsync("/sync-health");
            await BrowserFixture.WaitForInteractiveAsync(page);
            var stats = page.GetByTestId("sync-stats");
            await Assertions.Expect(stats.Locator("tbody tr")).ToHaveCountAsync(3);
            await Assertions.Expect(stats).ToContainTextAsync("12.3%");
            var grid = page.GetByTestId("stale-grid");
            var resync = grid.Locator("button[data-testid^=resync-]").First;
            await Assertions.Expect(resync).ToBeVisibleAsync();
            await resync.ClickAsync();
            await Assertions.Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("重新同步");
            await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "sync-health.png"), FullPage = true });
        }
        catch (Exception ex)
        {
            await page.ScreenshotAsync(new() { Path = "/tmp/sync-failure.png", FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nScreenshot: /tmp/sync-failure.png\n{fixture.Server.Output()}");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
