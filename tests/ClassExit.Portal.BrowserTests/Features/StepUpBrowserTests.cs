using ClassExit.Portal.Infrastructure.Authorization;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.TestSupport;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests.Features;

/// <summary>Step-up with an authenticator app, as an admin does it: a wrong code is refused in the dialog, the app's code is accepted.</summary>
[Collection(BrowserCollection.Name)]
public class StepUpBrowserTests(BrowserFixture fixture)
{
    private const string Password = "Demo#2026!";

    [Fact]
    public async Task AdminWithTotp_DisablesAnAccount_StepUpRefusesAWrongCode_ThenAcceptsTheAuthenticatorCode()
    {
        var adminEmail = $"stepup-admin-{Guid.NewGuid():N}@school.demo";
        var targetEmail = $"stepup-target-{Guid.NewGuid():N}@school.demo";
        await CreateAccountAsync(adminEmail, PortalRoles.EnterpriseAdmin);
        var targetId = await CreateAccountAsync(targetEmail, PortalRoles.SchoolStaff);

        var page = await fixture.SignedInPageAsync(adminEmail, Password);
        try
        {
            // Enrol an authenticator app from the account pages.
            await page.GotoAsync("/Account/Manage/EnableAuthenticator");
            var key = (await page.GetByTestId("shared-key").InnerTextAsync()).Trim();
            await page.FillAsync("#code", Totp.Code(key));
            await page.ClickAsync("#verify-authenticator");
            await Assertions.Expect(page.GetByTestId("recovery-codes").Locator("li")).ToHaveCountAsync(10);

            // Disable the other account from the users page: the step-up dialog asks for the authenticator code, not the password.
            await page.GotoAsync("/users");
            await BrowserFixture.WaitForInteractiveAsync(page);
            await Input(page, "users-search").FillAsync(targetEmail);
            await Assertions.Expect(page.GetByTestId("users-grid").Locator("tbody tr")).ToHaveCountAsync(1);
            // The users page's own dialog (change role) asks for the code too, not for the password the verifier would refuse.
            await page.GetByTestId($"user-actions-{targetEmail}").Locator("button").First.ClickAsync();
            await page.Locator(".mud-popover-open .mud-menu-item, .mud-popover-open .mud-list-item").Filter(new() { HasTextString = "更改角色" }).First.ClickAsync();
            var userDialog = page.GetByTestId("user-dialog");
            await Assertions.Expect(userDialog).ToContainTextAsync("身份验证器中的验证码");
            await Assertions.Expect(userDialog.Locator("input[data-testid=step-up-password], [data-testid=step-up-password] input").First)
                .ToHaveAttributeAsync("autocomplete", "one-time-code");
            await page.GetByRole(AriaRole.Button, new() { Name = "取消" }).ClickAsync();
            await Assertions.Expect(userDialog).ToHaveCountAsync(0);

            await page.GetByTestId($"user-actions-{targetEmail}").Locator("button").First.ClickAsync();
            await page.Locator(".mud-popover-open .mud-menu-item, .mud-popover-open .mud-list-item").Filter(new() { HasTextString = "停用" }).First.ClickAsync();
            var dialog = page.GetByTestId("step-up-dialog");
            await Assertions.Expect(dialog).ToBeVisibleAsync();
            await Assertions.Expect(dialog).ToContainTextAsync("身份验证器中的验证码");
            var field = dialog.Locator("input[data-testid=step-up-password], [data-testid=step-up-password] input").First;
            await Assertions.Expect(field).ToHaveAttributeAsync("autocomplete", "one-time-code");

            // The password is not a code; nor is a wrong code: both are refused in the dialog with 50404 and change nothing.
            await field.FillAsync(Password);
            await page.GetByTestId("step-up-confirm").ClickAsync();
            await Assertions.Expect(page.GetByTestId("step-up-error")).ToContainTextAsync("50404");
            await field.FillAsync(WrongCode(key));
            await page.GetByTestId("step-up-confirm").ClickAsync();
            await Assertions.Expect(page.GetByTestId("step-up-error")).ToContainTextAsync("50404");
            Assert.False(await IsDisabledAsync(targetId));
            await page.ScreenshotAsync(new() { Path = "/tmp/step-up-code-refused.png", FullPage = true });

            await field.FillAsync(Totp.Code(key));
            await page.GetByTestId("step-up-confirm").ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByTestId("users-grid").Locator("tbody tr")).ToContainTextAsync("已停用");
            Assert.True(await IsDisabledAsync(targetId), "the account is still enabled after the accepted step-up");

            await QueryAsync(async db =>
            {
                var adminId = await db.Users.Where(u => u.Email == adminEmail).Select(u => u.Id).SingleAsync();
                Assert.Equal(2, await db.AuditEntries.CountAsync(a => a.Action == "security.step_up_failed" && a.ActorUserId == adminId));
                Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "user.disabled" && a.ActorUserId == adminId && a.TargetId == targetId));
                Assert.NotNull(await db.PortalSessions.Where(s => s.UserId == adminId && s.RevokedAt == null).Select(s => s.SteppedUpAt).SingleAsync());
                return true;
            });
        }
        catch (Exception ex)
        {
            await page.ScreenshotAsync(new() { Path = "/tmp/step-up-failure.png", FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nScreenshot: /tmp/step-up-failure.png\n{fixture.Server.Output()}");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    private static ILocator Input(IPage page, string testId) => page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;

    /// <summary>Six digits that are none of the codes the verifier accepts now (it allows a step either side).</summary>
    private static string WrongCode(string key)
    {
        var now = DateTimeOffset.UtcNow;
        var valid = Enumerable.Range(-3, 7).Select(s => Totp.Code(key, now.AddSeconds(30 * s))).ToHashSet();
        var code = Totp.Code(key, now);
        for (var i = 1; ; i++)
        {
            var candidate = ((int.Parse(code) + i * 7919) % 1_000_000).ToString("D6");
            if (!valid.Contains(candidate)) return candidate;
        }
    }

    private async Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        var admin = await ServicesOnDatabase.AccountAsync(fixture.Server.DatabasePath, "admin@school.demo");
        await using var services = ServicesOnDatabase.Create(fixture.Server.DatabasePath, admin, TimeProvider.System);
        await using var db = (await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForSystem();
        return await query(db);
    }

    private Task<bool> IsDisabledAsync(string userId) =>
        QueryAsync(db => db.Users.Where(u => u.Id == userId).Select(u => u.IsDisabled).SingleAsync());

    /// <summary>A fresh account of Demo School's, so that no demo account other tests use gets a second factor or is disabled.</summary>
    private async Task<string> CreateAccountAsync(string email, string role)
    {
        var admin = await ServicesOnDatabase.AccountAsync(fixture.Server.DatabasePath, "admin@school.demo");
        await using var services = ServicesOnDatabase.Create(fixture.Server.DatabasePath, admin, TimeProvider.System);
        using var scope = services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var school = await users.Users.Where(u => u.Email == "admin@school.demo").Select(u => u.OrganisationId).SingleAsync();
        var user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, OrganisationId = school, DisplayName = "二次验证 测试" };
        Assert.True((await users.CreateAsync(user, Password)).Succeeded);
        Assert.True((await users.AddToRoleAsync(user, role)).Succeeded);
        return user.Id;
    }
}
