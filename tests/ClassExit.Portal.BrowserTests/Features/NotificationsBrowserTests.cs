using System.Text.RegularExpressions;
using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Ownership;
using ClassExit.Portal.Features.Ownership;
using ClassExit.Portal.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests.Features;

/// <summary>
/// Issue 17 in the browser: teacher2 has a page open while teacher offers a transfer in another tab; the bell in teacher2's app bar
/// counts one more without a reload (pushed to the open circuit after the commit) and its notification opens /transfers.
/// </summary>
[Collection(BrowserCollection.Name)]
public class NotificationsBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task TransferOffered_BellCountRisesWithoutReload_AndTheLinkOpensTransfers()
    {
        var colleague = await fixture.SignedInPageAsync("teacher2@school.demo");
        IPage? owner = null;
        try
        {
            await colleague.GotoAsync("/transfers");
            await BrowserFixture.WaitForInteractiveAsync(colleague);
            var bell = colleague.GetByTestId("notification-bell");
            await Assertions.Expect(bell).ToBeVisibleAsync();
            var before = int.Parse(await bell.GetAttributeAsync("data-count") ?? "0");
            var urlBefore = colleague.Url;

            owner = await fixture.SignedInPageAsync("teacher@school.demo");
            await owner.GotoAsync("/classes");
            await BrowserFixture.WaitForInteractiveAsync(owner);
            var grid = owner.GetByTestId("classes-grid");
            await Assertions.Expect(grid.Locator("tbody tr").First).ToBeVisibleAsync();
            await grid.Locator("tbody tr", new() { HasText = "物理竞赛班" }).First.ClickAsync();
            await Assertions.Expect(owner).ToHaveURLAsync(new Regex("/classes/\\d+$"));
            await owner.GetByTestId("transfer-ownership").ClickAsync();
            await owner.Locator("[data-testid=transfer-to]").First.ClickAsync();
            await owner.Locator(".mud-popover-open .mud-list-item", new() { HasText = "李老师 李明" }).ClickAsync();
            await owner.GetByTestId("submit-transfer").ClickAsync();
            await Assertions.Expect(owner.Locator(".mud-snackbar")).ToContainTextAsync("已发起转让");

            // No reload: the same page, its bell counts one more.
            await Assertions.Expect(bell).ToHaveAttributeAsync("data-count", (before + 1).ToString(), new() { Timeout = 15_000 });
            Assert.Equal(urlBefore, colleague.Url);
            await colleague.ScreenshotAsync(new() { Path = "/tmp/notification-bell.png" });

            await bell.ClickAsync();
            await Assertions.Expect(colleague).ToHaveURLAsync(new Regex("/notifications$"));
            var link = colleague.Locator("[data-testid=notification-link][data-kind='transfer.offered']").First;
            await Assertions.Expect(link).ToContainTextAsync("物理竞赛班");
            await link.ClickAsync();
            await Assertions.Expect(colleague).ToHaveURLAsync(new Regex("/transfers$"));
            await Assertions.Expect(colleague.Locator("[data-testid^=accept-]").First).ToBeVisibleAsync();
        }
        catch (Exception ex)
        {
            await colleague.ScreenshotAsync(new() { Path = "/tmp/notification-colleague-failure.png", FullPage = true });
            if (owner is not null) await owner.ScreenshotAsync(new() { Path = "/tmp/notification-owner-failure.png", FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nScreenshots: /tmp/notification-*-failure.png\n{fixture.Server.Output()}");
        }
        finally
        {
            await colleague.Context.CloseAsync();
            if (owner is not null) await owner.Context.CloseAsync();
            await DeclineAsync();
        }
    }

    /// <summary>Leaves the class as it was for the other tests: teacher2 declines the offer (the real service, on the portal's file).</summary>
    private async Task DeclineAsync()
    {
        var teacher2 = await ServicesOnDatabase.AccountAsync(fixture.Server.DatabasePath, "teacher2@school.demo");
        await using var services = ServicesOnDatabase.Create(fixture.Server.DatabasePath, teacher2, TimeProvider.System);
        long id;
        int version;
        await using (var db = (await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForSystem())
        {
            var t = await (from x in db.OwnershipTransfers
                           join c in db.Classes on x.ClassId equals c.Id
                           where c.Name == "物理竞赛班" && x.Status == TransferStatus.Pending
                           select new { x.Id, x.Version }).FirstOrDefaultAsync();
            if (t is null) return;
            (id, version) = (t.Id, t.Version);
        }
        using var scope = services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<OwnershipService>().DeclineAsync(id, version, "test clean-up");
    }
}
