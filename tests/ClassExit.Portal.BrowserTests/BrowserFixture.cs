using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests;

/// <summary>One portal process and one Debian Chromium for all browser tests.</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public PortalServer Server { get; } = new();
    private IPlaywright? _playwright;
    public IBrowser Browser { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath)) throw new FileNotFoundException("Debian's Chromium is required (tests/run.sh installs it).", ChromiumPath);
        await Server.InitializeAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-dev-shm-usage"],
        });
    }

    public async Task<IPage> SignedInPageAsync(string email, string password = "Demo#2026!")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = Server.BaseUrl, Locale = "zh-CN" });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/Account/Login");
        await page.FillAsync("#Input\\.Email", email);
        await page.FillAsync("#Input\\.Password", password);
        await page.ClickAsync("#sign-in");
        // The sign-in form posts and redirects (a real load), then the dashboard renders.
        await page.WaitForURLAsync(url => !url.Contains("/Account/Login"), new() { WaitUntil = WaitUntilState.Commit });
        return page;
    }

    /// <summary>
    /// Runs <paramref name="body"/> in a page signed in as <paramref name="email"/>; on failure saves a screenshot named after
    /// <paramref name="name"/> and adds it and the portal's output to the message.
    /// </summary>
    public async Task RunAsAsync(string email, string name, Func<IPage, Task> body)
    {
        var page = await SignedInPageAsync(email);
        try
        {
            await body(page);
        }
        catch (Exception ex)
        {
            var shot = Path.Combine(Path.GetTempPath(), $"{name}-failure.png");
            await page.ScreenshotAsync(new() { Path = shot, FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nScreenshot: {shot}\nPortal output:\n{Server.Output()}");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    /// <summary>Waits until the Blazor circuit has taken over the prerendered page (see MainLayout's circuit-state marker).</summary>
    public static Task WaitForInteractiveAsync(IPage page) =>
        page.Locator("#circuit-state[data-interactive=true]").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    /// <summary>Confirms the open step-up dialog: types the password unless the step-up window is still open (then it only confirms).</summary>
    public static async Task StepUpAsync(IPage page, string password = "Demo#2026!")
    {
        var dialog = page.GetByTestId("step-up-dialog");
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await Assertions.Expect(dialog.Locator("[data-testid=step-up-fresh], [data-testid=step-up-password]").First).ToBeVisibleAsync();
        if (await dialog.GetByTestId("step-up-fresh").CountAsync() == 0)
            await dialog.Locator("input[data-testid=step-up-password], [data-testid=step-up-password] input").First.FillAsync(password);
        await page.GetByTestId("step-up-confirm").ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        await Server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
