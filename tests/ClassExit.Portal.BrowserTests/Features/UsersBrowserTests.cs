using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests.Features;

/// <summary>An admin creates an account on /users as a person would; its user signs in with the one-time password and must choose their own first.</summary>
[Collection(BrowserCollection.Name)]
public class UsersBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Admin_CreatesAccount_UserMustChangeOneTimePassword_BeforeAnythingElse() =>
        await fixture.RunAsAsync("admin@school.demo", "users", async page =>
        {
            var email = $"new-{Guid.NewGuid():N}"[..12] + "@school.demo";
            await page.GotoAsync("/users");
            await BrowserFixture.WaitForInteractiveAsync(page);
            await Assertions.Expect(page.GetByTestId("users-grid")).ToContainTextAsync("admin@school.demo");
            await page.GetByTestId("create-user").ClickAsync();
            // Typed key by key, as a person would (the autocomplete searches on input; a single fill was missed on a busy machine).
            var memberInput = page.Locator("input[data-testid=user-member], [data-testid=user-member] input").First;
            await memberInput.ClickAsync();
            await memberInput.PressSequentiallyAsync("S0", new() { Delay = 50 });
            var option = page.Locator(".mud-popover-open .mud-list-item").First;
            await Assertions.Expect(option).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await option.ClickAsync();
            await page.Locator("input[data-testid=user-email], [data-testid=user-email] input").First.FillAsync(email);
            var oneTime = await page.Locator("input[data-testid=user-one-time-password], [data-testid=user-one-time-password] input").First.InputValueAsync();
            Assert.True(oneTime.Length >= 16, oneTime);
            await page.Locator("input[data-testid=step-up-password], [data-testid=step-up-password] input").First.FillAsync("Demo#2026!");
            await page.GetByTestId("user-confirm").ClickAsync();
            await Assertions.Expect(page.GetByTestId("user-dialog")).ToHaveCountAsync(0);
            await page.Locator("input[data-testid=users-search], [data-testid=users-search] input").First.FillAsync(email);
            await Assertions.Expect(page.GetByTestId("users-grid")).ToContainTextAsync(email);
            await Assertions.Expect(page.GetByTestId("users-grid")).ToContainTextAsync("须修改密码");

            var user = await fixture.SignedInPageAsync(email, oneTime);
            try
            {
                await user.WaitForURLAsync(url => url.Contains("/Account/Manage/ChangePassword"));
                await Assertions.Expect(user.GetByTestId("must-change-password")).ToBeVisibleAsync();
                await user.GotoAsync("/classes");
                Assert.Contains("/Account/Manage/ChangePassword", user.Url);
                await user.FillAsync("#Input\\.OldPassword", oneTime);
                await user.FillAsync("#Input\\.NewPassword", "Chosen#2026!pass");
                await user.FillAsync("#Input\\.ConfirmPassword", "Chosen#2026!pass");
                await user.ClickAsync("#change-password");
                await Assertions.Expect(user.GetByTestId("must-change-password")).ToHaveCountAsync(0);
                await user.GotoAsync("/classes");
                Assert.Contains("/classes", user.Url);
            }
            finally
            {
                await user.Context.CloseAsync();
            }
        });
}
