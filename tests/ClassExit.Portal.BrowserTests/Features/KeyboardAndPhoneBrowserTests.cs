using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests.Features;

/// <summary>The portal without a mouse (Tab, Space, Enter only) and on a 390 × 844 phone.</summary>
[Collection(BrowserCollection.Name)]
public class KeyboardAndPhoneBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Admin_ApprovesOneRequest_WithTheKeyboardOnly() => await fixture.RunAsAsync("admin@school.demo", "keyboard-approve", async page =>
    {
        await page.GotoAsync("/approvals");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var grid = page.GetByTestId("approval-grid");
        // A student's request (the teacher's is another test's).
        var row = grid.Locator("tbody tr", new() { HasNotText = "教师" }).First;
        await Assertions.Expect(row).ToBeVisibleAsync();
        var link = row.Locator("a[data-testid^=open-exit-]");
        var id = (await link.GetAttributeAsync("data-testid"))!["open-exit-".Length..];

        // The first Tab reaches the skip link; Enter puts focus on the content, past the app bar and the navigation.
        await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(page.GetByTestId("skip-link")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#main-content")).ToBeFocusedAsync();

        // Tab to the row's selection box and tick it with Space.
        var box = row.Locator("input[type=checkbox]");
        await TabUntilAsync(page, box, "Tab");
        await page.Keyboard.PressAsync("Space");
        await Assertions.Expect(page.GetByTestId("approve-selected")).ToBeEnabledAsync();

        // Back (Shift+Tab) to "Approve 1" and press Enter.
        await TabUntilAsync(page, page.GetByTestId("approve-selected"), "Shift+Tab");
        await page.Keyboard.PressAsync("Enter");
        // The confirmation, where there is one: Tab to its filled (primary) button and Enter. Waits for either the dialog or the decision.
        await page.WaitForFunctionAsync("id => document.querySelector('.mud-dialog') || !document.querySelector(`[data-testid=open-exit-${id}]`)", id);
        var dialog = page.Locator(".mud-dialog");
        if (await dialog.CountAsync() > 0)
        {
            await TabUntilAsync(page, dialog.Locator("button.mud-button-filled").Last, "Tab");
            await page.Keyboard.PressAsync("Enter");
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
        }

        // Decided: gone from the queue, focus on what is left (not on <body>), and the request's own page says so.
        await Assertions.Expect(grid.Locator($"[data-testid=open-exit-{id}]")).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByTestId("approval-grid-region")).ToBeFocusedAsync();
        await page.GotoAsync($"/exits/{id}");
        await Assertions.Expect(page.GetByTestId("exit-status")).Not.ToContainTextAsync("待审批");
    });

    [Fact]
    public async Task Phone_TheAppBarFitsAndSignsOut_ClassRowsHaveOneActionMenu()
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = fixture.Server.BaseUrl, Locale = "zh-CN", ViewportSize = new ViewportSize { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true,
        });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        try
        {
            await page.GotoAsync("/Account/Login");
            await page.FillAsync("#Input\\.Email", "admin@school.demo");
            await page.FillAsync("#Input\\.Password", "Demo#2026!");
            await page.ClickAsync("#sign-in");
            await page.WaitForURLAsync(url => !url.Contains("/Account/Login"), new() { WaitUntil = WaitUntilState.Commit });
            await BrowserFixture.WaitForInteractiveAsync(page);

            // Nothing wider than the screen; the name and sign-out are in the account menu, not squeezed into the bar.
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways");
            await Assertions.Expect(page.GetByTestId("user-name")).ToBeHiddenAsync();
            await Assertions.Expect(page.GetByTestId("account-menu")).ToBeVisibleAsync();

            // A class's member cards: one action menu per card instead of "Exit…" beside "Force remove…".
            await page.GotoAsync("/classes");
            await BrowserFixture.WaitForInteractiveAsync(page);
            await page.GetByTestId("class-link").First.TapAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/classes/\\d+$"));
            var members = page.GetByTestId("members-grid");
            await Assertions.Expect(members.Locator("[data-testid^=member-actions-]").First).ToBeVisibleAsync();
            await Assertions.Expect(members.Locator("[data-testid^=start-exit-]").First).ToBeHiddenAsync();
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the class page scrolls sideways");

            await page.GetByTestId("account-menu").Locator("button").First.TapAsync();
            await Assertions.Expect(page.GetByTestId("account-menu-user")).ToContainTextAsync("周敏");
            await page.GetByTestId("account-menu-sign-out").TapAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/Account/(Login|SignedOut)"));
            var response = await page.GotoAsync("/classes");
            Assert.Contains("/Account/Login", page.Url);
            Assert.True(response is { Ok: true });
        }
        catch (Exception ex)
        {
            await page.ScreenshotAsync(new() { Path = "/tmp/phone-failure.png", FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nScreenshot: /tmp/phone-failure.png\n{fixture.Server.Output()}");
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    /// <summary>Presses <paramref name="key"/> until <paramref name="target"/> has focus (at most 200 times).</summary>
    private static async Task TabUntilAsync(IPage page, ILocator target, string key)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await target.EvaluateAsync<bool>("e => e === document.activeElement")) return;
            await page.Keyboard.PressAsync(key);
        }
        throw new Xunit.Sdk.XunitException($"{key} never reached {target}");
    }
}
