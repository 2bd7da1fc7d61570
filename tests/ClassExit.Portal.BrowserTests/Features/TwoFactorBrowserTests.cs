using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.TestSupport;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests.Features;

/// <summary>Two-factor sign-in as a person does it: an authenticator app is set up from the key on the page, then used.</summary>
[Collection(BrowserCollection.Name)]
public class TwoFactorBrowserTests(BrowserFixture fixture)
{
    private const string Password = "Demo#2026!";

    [Fact]
    public async Task User_EnrolsTotp_SignsInWithCode_ThenWithARecoveryCodeOnce_AndIsRefusedItTwice()
    {
        var email = $"tfa-browser-{Guid.NewGuid():N}@school.demo";
        await CreateAccountAsync(email);

        var page = await fixture.SignedInPageAsync(email, Password);
        try
        {
            // Enrol from the account pages, reading the key as the person would type it into their app.
            await page.GotoAsync("/Account/Manage");
            await page.GetByTestId("nav-two-factor").ClickAsync();
            await Assertions.Expect(page.GetByTestId("two-factor-status")).ToContainTextAsync("双重验证未开启");
            await page.GetByTestId("enable-authenticator").ClickAsync();
            await page.WaitForURLAsync("**/Account/Manage/EnableAuthenticator");
            await Assertions.Expect(page.GetByTestId("qr-code")).ToBeVisibleAsync();
            var key = (await page.GetByTestId("shared-key").InnerTextAsync()).Trim();
            Assert.Matches("^([a-z2-7]{4} )+[a-z2-7]{1,4}$", key);
            await page.ScreenshotAsync(new() { Path = "/tmp/two-factor-enrol.png", FullPage = true });

            await page.FillAsync("#code", Totp.Code(key));
            await page.ClickAsync("#verify-authenticator");
            var codesList = page.GetByTestId("recovery-codes");
            await Assertions.Expect(codesList.Locator("li")).ToHaveCountAsync(10);
            var codes = (await codesList.Locator("code").AllInnerTextsAsync()).Select(c => c.Trim()).ToList();
            Assert.Equal(10, codes.Distinct().Count());
            await page.ScreenshotAsync(new() { Path = "/tmp/two-factor-recovery-codes.png", FullPage = true });

            await SignOutAsync(page);

            // Password, then the authenticator code.
            await SignInWithPasswordAsync(page, email);
            await page.WaitForURLAsync("**/Account/LoginWith2fa**");
            await page.ScreenshotAsync(new() { Path = "/tmp/two-factor-sign-in.png", FullPage = true });
            await page.FillAsync("#two-factor-code", Totp.Code(key));
            await page.ClickAsync("#verify-code");
            await page.WaitForURLAsync(url => !url.Contains("/Account/"), new() { WaitUntil = WaitUntilState.Commit });
            await BrowserFixture.WaitForInteractiveAsync(page);
            await SignOutAsync(page);

            // A recovery code instead, once.
            await SignInWithRecoveryCodeAsync(page, email, codes[0]);
            await page.WaitForURLAsync(url => !url.Contains("/Account/"), new() { WaitUntil = WaitUntilState.Commit });
            await BrowserFixture.WaitForInteractiveAsync(page);
            await page.GotoAsync("/Account/Manage/TwoFactorAuthentication");
            await Assertions.Expect(page.GetByTestId("recovery-codes-left")).ToContainTextAsync("9");
            await SignOutAsync(page);

            // The same recovery code the second time: refused, still not signed in.
            await SignInWithRecoveryCodeAsync(page, email, codes[0]);
            await Assertions.Expect(page.GetByTestId("status-message")).ToContainTextAsync("该恢复代码错误或已被使用");
            Assert.Contains("/Account/LoginWithRecoveryCode", page.Url);
            await page.ScreenshotAsync(new() { Path = "/tmp/two-factor-recovery-refused.png", FullPage = true });
            await page.GotoAsync("/classes");
            await page.WaitForURLAsync("**/Account/Login**");
        }
        catch (Exception ex)
        {
            await page.ScreenshotAsync(new() { Path = "/tmp/two-factor-failure.png", FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nScreenshot: /tmp/two-factor-failure.png\n{fixture.Server.Output()}");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Admin_RequiresTwoFactorForAdmins_OnThePolicyEditor_AndTheirNextSignInGoesToEnrolment()
    {
        var email = $"tfa-admin-{Guid.NewGuid():N}@school.demo";
        await CreateAccountAsync(email, PortalRoles.EnterpriseAdmin);
        var page = await fixture.SignedInPageAsync(email, Password);
        try
        {
            await page.GotoAsync("/policies");
            await BrowserFixture.WaitForInteractiveAsync(page);
            var card = page.GetByTestId("two-factor-requirement");
            await Assertions.Expect(card).ToContainTextAsync("双重验证登录");
            await card.Locator(".mud-select").First.ClickAsync();
            await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextString = "企业管理员" }).First.ClickAsync();
            await page.GetByTestId("two-factor-save").ClickAsync();
            var dialog = page.GetByTestId("step-up-dialog");
            await dialog.Locator("input[data-testid=step-up-password], [data-testid=step-up-password] input").First.FillAsync(Password);
            await page.GetByTestId("step-up-confirm").ClickAsync();
            await Assertions.Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("已保存");
            await page.ScreenshotAsync(new() { Path = "/tmp/two-factor-policy.png", FullPage = true });

            // Signed in again, the admin (not enrolled) is taken to enrolment, and every other page sends them back.
            await SignOutAsync(page);
            await SignInWithPasswordAsync(page, email);
            await page.WaitForURLAsync("**/Account/Manage/EnableAuthenticator");
            await Assertions.Expect(page.GetByTestId("must-enrol")).ToBeVisibleAsync();
            await page.GotoAsync("/classes");
            await page.WaitForURLAsync("**/Account/Manage/EnableAuthenticator");
        }
        catch (Exception ex)
        {
            await page.ScreenshotAsync(new() { Path = "/tmp/two-factor-policy-failure.png", FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nScreenshot: /tmp/two-factor-policy-failure.png\n{fixture.Server.Output()}");
        }
        finally
        {
            await page.Context.CloseAsync();
            // Demo School's other accounts keep signing in without a second factor in the other browser tests.
            var admin = await ServicesOnDatabase.AccountAsync(fixture.Server.DatabasePath, "admin@school.demo");
            await using var services = ServicesOnDatabase.Create(fixture.Server.DatabasePath, admin, TimeProvider.System);
            await using var db = (await services.GetRequiredService<IDbContextFactory<ClassExit.Portal.Data.PortalDbContext>>().CreateDbContextAsync()).ForSystem();
            await db.Organisations.Where(o => o.Name == "Demo School")
                .ExecuteUpdateAsync(o => o.SetProperty(x => x.TwoFactorRequiredFor, ClassExit.Portal.Domain.Organisations.TwoFactorRequirement.Nobody));
        }
    }

    /// <summary>A fresh account of Demo School's, so that no demo account other tests use gets a second factor.</summary>
    private async Task CreateAccountAsync(string email, string role = PortalRoles.SchoolStaff)
    {
        var admin = await ServicesOnDatabase.AccountAsync(fixture.Server.DatabasePath, "admin@school.demo");
        await using var services = ServicesOnDatabase.Create(fixture.Server.DatabasePath, admin, TimeProvider.System);
        using var scope = services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var school = await users.Users.Where(u => u.Email == "admin@school.demo").Select(u => u.OrganisationId).SingleAsync();
        var user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, OrganisationId = school, DisplayName = "双重验证 测试" };
        Assert.True((await users.CreateAsync(user, Password)).Succeeded);
        Assert.True((await users.AddToRoleAsync(user, role)).Succeeded);
    }

    private static async Task SignOutAsync(IPage page)
    {
        await page.Locator("form[action='Account/Logout'] button").ClickAsync();
        await page.WaitForURLAsync("**/Account/Login**");
    }

    private static async Task SignInWithPasswordAsync(IPage page, string email)
    {
        await page.GotoAsync("/Account/Login");
        await page.FillAsync("#Input\\.Email", email);
        await page.FillAsync("#Input\\.Password", Password);
        await page.ClickAsync("#sign-in");
    }

    private static async Task SignInWithRecoveryCodeAsync(IPage page, string email, string code)
    {
        await SignInWithPasswordAsync(page, email);
        await page.WaitForURLAsync("**/Account/LoginWith2fa**");
        await page.GetByTestId("use-recovery-code").ClickAsync();
        await page.WaitForURLAsync("**/Account/LoginWithRecoveryCode**");
        await page.FillAsync("#recovery-code", code);
        await page.ClickAsync("#verify-recovery-code");
    }
}
