using System.Net;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ClassExit.Portal.Tests.Features;

[Collection(PortalCollection.Name)]
public class SignInTests(PortalFactory factory)
{
    [Fact]
    public async Task SignIn_DemoAdmin_ReachesDashboardAndIsAudited()
    {
        var client = factory.CreateBrowserLikeClient();
        var response = await factory.SignInAsync(client, "admin@school.demo");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.False(PortalFactory.IsRedirectToLogin(response));

        var dashboard = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        var html = await dashboard.Content.ReadAsStringAsync();
        Assert.Contains("Demo School", html);

        await using var db = factory.SystemDb();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "auth.sign_in" && a.ActorName!.Contains("周敏")));
    }

    [Fact]
    public async Task SignIn_FiveWrongPasswords_LocksOutEvenTheRightPassword()
    {
        const string email = "lockout-test@school.demo";
        var org = await factory.OrganisationIdAsync(ClassExit.Portal.Data.Seed.DemoSeeder.SchoolName);
        using (var scope = factory.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var created = await users.CreateAsync(new PortalUser { UserName = email, Email = email, EmailConfirmed = true, OrganisationId = org, DisplayName = "Lockout Test" },
                ClassExit.Portal.Data.Seed.DemoSeeder.Password);
            Assert.True(created.Succeeded);
        }

        var client = factory.CreateBrowserLikeClient();
        for (var i = 1; i < PortalIdentityOptions.MaxFailedAccessAttempts; i++)
        {
            var wrong = await factory.SignInAsync(client, email, "wrong-password-" + i);
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Contains("邮箱或密码不正确", await wrong.Content.ReadAsStringAsync());
        }
        var fifth = await factory.SignInAsync(client, email, "wrong-password-5");
        Assert.Contains("Account/Lockout", fifth.Headers.Location!.ToString());

        var right = await factory.SignInAsync(client, email);
        Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        Assert.Contains("Account/Lockout", right.Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/classes")).StatusCode);

        await using var db = factory.SystemDb();
        var entries = await db.AuditEntries.Where(a => a.ActorName == "Lockout Test").Select(a => new { a.Action, a.IsSecurityEvent }).ToListAsync();
        Assert.Equal(PortalIdentityOptions.MaxFailedAccessAttempts - 1, entries.Count(e => e.Action == "auth.sign_in_failed"));
        Assert.Contains(entries, e => e.Action == "auth.locked_out" && e.IsSecurityEvent);
    }

    [Fact]
    public async Task SignIn_DisabledAccount_IsRefused()
    {
        const string email = "disabled-test@school.demo";
        var org = await factory.OrganisationIdAsync(ClassExit.Portal.Data.Seed.DemoSeeder.SchoolName);
        using (var scope = factory.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            Assert.True((await users.CreateAsync(new PortalUser { UserName = email, Email = email, EmailConfirmed = true, OrganisationId = org, DisplayName = "Disabled", IsDisabled = true },
                ClassExit.Portal.Data.Seed.DemoSeeder.Password)).Succeeded);
        }
        var client = factory.CreateBrowserLikeClient();
        var response = await factory.SignInAsync(client, email);
        Assert.NotEqual(HttpStatusCode.Redirect, response.StatusCode);
        Assert.True(PortalFactory.IsRedirectToLogin(await client.GetAsync("/classes")));
    }
}
