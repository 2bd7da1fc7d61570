using ClassExit.Portal.Infrastructure.Authorization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Features.Users;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.TestSupport;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ClassExit.Portal.Tests.Features.Users;

/// <summary>
/// Accounts an organisation runs, on the real portal: an admin creates an account with a one-time password, the user signs in through
/// the real form and must choose a password before anything else, a role change or a disabled account is refused at the next request
/// once the cookie's security stamp is checked (every minute: the test moves the validator's clock past it), the last enabled enterprise
/// admin stays, nobody changes their own account here, and <c>create-first-admin</c> works once.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class UsersTests(PortalFactory factory)
{
    private const string NewPassword = "Chosen#2026!pass";

    [Fact]
    public async Task Create_SignIn_MustChangePassword_ThenRoleChange_RefusesThePageAtTheNextCheckedRequest()
    {
        var email = $"hr-{Guid.NewGuid():N}"[..11] + "@school.demo";
        const string oneTime = "OneTime#2026!abc";
        await using var admin = await ServicesAsAsync("admin@school.demo");
        var created = await admin.GetRequiredService<UsersService>().CreateAsync(
            new NewUser(await AccountlessMemberAsync(DemoSeeder.SchoolName), email, "新同事 测试", PortalRoles.HrOperator, oneTime), DemoSeeder.Password);
        Assert.True(created.Succeeded, $"refused {created.Code}");

        var client = factory.CreateBrowserLikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await factory.SignInAsync(client, email, oneTime)).StatusCode);
        // Every page waits for the new password; the change-password page says why.
        foreach (var path in new[] { "/", "/api-keys", "/members" })
        {
            var forced = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, forced.StatusCode);
            Assert.Equal(MustChangePassword.PagePath, forced.Headers.Location?.ToString());
        }
        var page = await client.GetStringAsync(MustChangePassword.PagePath);
        Assert.Contains("data-testid=\"must-change-password\"", page);
        Assert.Equal(HttpStatusCode.Redirect, (await ChangePasswordAsync(client, page, oneTime, NewPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api-keys")).StatusCode);
        await using (var db = factory.SystemDb())
            Assert.False(await db.Users.Where(u => u.Id == created.UserId).Select(u => u.MustChangePassword).SingleAsync());

        var changed = await admin.GetRequiredService<UsersService>().ChangeRoleAsync(created.UserId!, PortalRoles.SchoolStaff, DemoSeeder.Password);
        Assert.True(changed.Succeeded, $"refused {changed.Code}");
        await using (var db = factory.SystemDb())
        {
            var entry = await db.AuditEntries.Where(a => a.Action == "user.role_changed" && a.TargetId == created.UserId).SingleAsync();
            Assert.Equal(AuditOutcome.Succeeded, entry.Outcome);
            Assert.True(entry.IsSecurityEvent);
            using var details = JsonDocument.Parse(entry.Details!);
            Assert.Equal([PortalRoles.HrOperator], details.RootElement.GetProperty("before").GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
            Assert.Equal([PortalRoles.SchoolStaff], details.RootElement.GetProperty("after").GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        }

        using (MinuteLater())
            Assert.True(IsSignedOut(await client.GetAsync("/api-keys")), "the old cookie still works after the change");
        Assert.Equal(HttpStatusCode.Redirect, (await factory.SignInAsync(client, email, NewPassword)).StatusCode);
        var refused = await client.GetAsync("/api-keys");
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.Contains("/Account/AccessDenied", refused.Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/classes")).StatusCode);
    }

    [Fact]
    public async Task Disable_EndsSessions_RefusesTheNextCheckedRequest_AndTheNextSignIn()
    {
        var email = $"staff-{Guid.NewGuid():N}"[..14] + "@school.demo";
        const string oneTime = "OneTime#2026!xyz";
        await using var admin = await ServicesAsAsync("admin@school.demo");
        var users = admin.GetRequiredService<UsersService>();
        var created = await users.CreateAsync(new NewUser(await AccountlessMemberAsync(DemoSeeder.SchoolName), email, "停用 测试", PortalRoles.SchoolStaff, oneTime),
            DemoSeeder.Password);
        Assert.True(created.Succeeded, $"refused {created.Code}");
        var client = factory.CreateBrowserLikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await factory.SignInAsync(client, email, oneTime)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await ChangePasswordAsync(client, await client.GetStringAsync(MustChangePassword.PagePath), oneTime, NewPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/classes")).StatusCode);
        await using (var db = factory.SystemDb())
            // The sign-in recorded its server-side session: the change must end it.
            Assert.Single(await db.PortalSessions.Where(s => s.UserId == created.UserId && s.RevokedAt == null).ToListAsync());

        Assert.Equal(ErrorCatalogue.StepUpFailed, (await users.SetEnabledAsync(created.UserId!, false, "wrong-password")).Code);
        Assert.True((await users.SetEnabledAsync(created.UserId!, false, DemoSeeder.Password)).Succeeded);

        await using (var db = factory.SystemDb())
        {
            var session = await db.PortalSessions.SingleAsync(s => s.UserId == created.UserId);
            // (one session: the password change re-issued the cookie of the same session)
            Assert.NotNull(session.RevokedAt);
            Assert.Equal(UsersService.SessionEndReason, session.EndReason);
            var entry = await db.AuditEntries.SingleAsync(a => a.Action == "user.disabled" && a.TargetId == created.UserId);
            using var details = JsonDocument.Parse(entry.Details!);
            Assert.True(details.RootElement.GetProperty("before").GetProperty("enabled").GetBoolean());
            Assert.False(details.RootElement.GetProperty("after").GetProperty("enabled").GetBoolean());
            Assert.Equal(1, details.RootElement.GetProperty("sessions_ended").GetInt32());
        }
        using (MinuteLater())
            Assert.True(IsSignedOut(await client.GetAsync("/classes")));
        Assert.NotEqual(HttpStatusCode.Redirect, (await factory.SignInAsync(client, email, NewPassword)).StatusCode);
        Assert.True(IsSignedOut(await client.GetAsync("/classes")));
    }

    [Fact]
    public async Task FirstAdmin_OnceOnly_LastAdminStays_NobodyChangesThemselves_AndRecoverResetsTwoFactor()
    {
        var organisation = $"首个管理员测试 {Guid.NewGuid():N}"[..20];
        var adminEmail = $"first-{Guid.NewGuid():N}"[..14] + "@example.test";
        var (code, output) = await FirstAdminAsync("--organisation", organisation, "--time-zone", "Asia/Shanghai", "--kind", "Education",
            "--email", adminEmail, "--name", "首位 管理员");
        Assert.Equal(0, code);
        var adminPassword = Regex.Match(output, @"One-time password \(shown this once[^)]*\): (\S+)").Groups[1].Value;
        Assert.NotEmpty(adminPassword);
        await using (var db = factory.SystemDb())
        {
            var account = await db.Users.SingleAsync(u => u.Email == adminEmail);
            Assert.True(account.MustChangePassword);
            Assert.Equal(OrgRole.EnterpriseAdmin, await db.Members.Where(m => m.Id == account.MemberId).Select(m => m.OrgRole).SingleAsync());
            Assert.Single(await db.AuditEntries.Where(a => a.Action == "user.first_admin_created" && a.TargetId == account.Id).ToListAsync());
        }
        var (again, refusal) = await FirstAdminAsync("--organisation", organisation, "--email", "second-" + adminEmail, "--name", "第二位");
        Assert.Equal(1, again);
        Assert.Contains("already has an enabled enterprise admin", refusal);
        await using (var db = factory.SystemDb())
            Assert.False(await db.Users.AnyAsync(u => u.Email == "second-" + adminEmail));

        // A second admin, created by the first; then each tries what the rules forbid.
        var secondEmail = "b-" + adminEmail;
        const string secondPassword = "Second#2026!pass";
        await using var first = await ServicesAsAsync(adminEmail);
        var orgId = await factory.OrganisationIdAsync(organisation);
        long secondMember, thirdMember;
        await using (var db = factory.SystemDb())
        {
            var member = new Member(orgId, "第二位 管理员", "B-1");
            var third = new Member(orgId, "第三位", "C-1");
            db.Members.AddRange(member, third);
            await db.SaveChangesAsync();
            (secondMember, thirdMember) = (member.Id, third.Id);
        }
        var firstUsers = first.GetRequiredService<UsersService>();
        var second = await firstUsers.CreateAsync(new NewUser(secondMember, secondEmail, "第二位 管理员", PortalRoles.EnterpriseAdmin, secondPassword), adminPassword);
        Assert.True(second.Succeeded, $"refused {second.Code}");
        Assert.Equal(ErrorCatalogue.MemberHasAccount,
            (await firstUsers.CreateAsync(new NewUser(secondMember, "c-" + adminEmail, "重复", PortalRoles.Auditor, secondPassword), adminPassword)).Code);
        Assert.Equal(ErrorCatalogue.EmailAlreadyUsed,
            (await firstUsers.CreateAsync(new NewUser(thirdMember, secondEmail.ToUpperInvariant(), "第三位", PortalRoles.Auditor, secondPassword), adminPassword)).Code);
        Assert.Equal(ErrorCatalogue.MalformedRequest,
            (await firstUsers.CreateAsync(new NewUser(thirdMember, "c-" + adminEmail, "第三位", PortalRoles.PlatformOperator, secondPassword), adminPassword)).Code);
        var weak = await firstUsers.CreateAsync(new NewUser(thirdMember, "c-" + adminEmail, "第三位", PortalRoles.Auditor, "short"), adminPassword);
        Assert.Equal(ErrorCatalogue.MalformedRequest, weak.Code);
        Assert.NotEmpty(weak.Errors!);
        await using var secondServices = await ServicesAsAsync(secondEmail);
        var firstId = await UserIdAsync(adminEmail);

        Assert.Equal(ErrorCatalogue.CannotChangeOwnAccount, (await firstUsers.ChangeRoleAsync(firstId, PortalRoles.Auditor, adminPassword)).Code);
        Assert.Equal(ErrorCatalogue.CannotChangeOwnAccount, (await firstUsers.SetEnabledAsync(firstId, false, adminPassword)).Code);
        // The first demotes the second; the second, whose cookie has not been checked yet, tries to take the first with them.
        Assert.True((await firstUsers.ChangeRoleAsync(second.UserId!, PortalRoles.Auditor, adminPassword)).Succeeded);
        var secondUsers = secondServices.GetRequiredService<UsersService>();
        Assert.Equal(ErrorCatalogue.LastEnterpriseAdmin, (await secondUsers.ChangeRoleAsync(firstId, PortalRoles.Auditor, secondPassword)).Code);
        Assert.Equal(ErrorCatalogue.LastEnterpriseAdmin, (await secondUsers.SetEnabledAsync(firstId, false, secondPassword)).Code);
        await using (var db = factory.SystemDb())
        {
            Assert.Equal(OrgRole.Staff, await db.Members.Where(m => m.Id == secondMember).Select(m => m.OrgRole).SingleAsync());
            var roles = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id where ur.UserId == firstId select r.Name).ToListAsync();
            Assert.Equal([PortalRoles.EnterpriseAdmin], roles);
            Assert.False(await db.Users.Where(u => u.Id == firstId).Select(u => u.IsDisabled).SingleAsync());
            Assert.False(await db.AuditEntries.AnyAsync(a => a.TargetId == firstId && (a.Action == "user.role_changed" || a.Action == "user.disabled")));
        }

        // The last admin lost their authenticator: the console resets two-factor and the password, after the e-mail is typed again.
        await using (var db = factory.SystemDb())
        {
            var account = await db.Users.SingleAsync(u => u.Id == firstId);
            account.TwoFactorEnabled = true;
            db.UserTokens.Add(new IdentityUserToken<string> { UserId = firstId, LoginProvider = "[AspNetUserStore]", Name = "AuthenticatorKey", Value = "ABCDEFGHIJKLMNOP" });
            await db.SaveChangesAsync();
        }
        Assert.Equal(1, (await FirstAdminAsync(["--recover", "--organisation", organisation, "--email", adminEmail], "someone-else@example.test")).Code);
        var (recovered, recoverOutput) = await FirstAdminAsync(["--recover", "--organisation", organisation, "--email", adminEmail], adminEmail);
        Assert.Equal(0, recovered);
        Assert.Matches(@"One-time password \(shown this once[^)]*\): \S+", recoverOutput);
        await using (var db = factory.SystemDb())
        {
            var account = await db.Users.SingleAsync(u => u.Id == firstId);
            Assert.False(account.TwoFactorEnabled);
            Assert.True(account.MustChangePassword);
            Assert.False(await db.UserTokens.AnyAsync(t => t.UserId == firstId));
            Assert.Single(await db.AuditEntries.Where(a => a.Action == "user.recovered" && a.TargetId == firstId && a.IsSecurityEvent).ToListAsync());
        }
    }

    [Fact]
    public async Task List_OnlyTheOrganisationsAccounts_AndOnlyForAdmins()
    {
        await using var admin = await ServicesAsAsync("admin@school.demo");
        var page = await admin.GetRequiredService<UsersService>().SearchAsync("demo", new PageRequest(1, 200));
        Assert.NotEmpty(page.Items);
        Assert.Contains(page.Items, u => u.Email == "admin@school.demo" && u.Roles.SequenceEqual([PortalRoles.EnterpriseAdmin]) && u.Enabled && !u.TwoFactorEnabled);
        // Every account listed belongs to Demo School (other tests add accounts of their own there, with other e-mail domains).
        var school = await factory.OrganisationIdAsync(ClassExit.Portal.Data.Seed.DemoSeeder.SchoolName);
        await using (var db = factory.SystemDb())
        {
            var listed = page.Items.Select(u => u.Email).ToList();
            var organisations = await db.Users.Where(u => listed.Contains(u.Email!)).Select(u => u.OrganisationId).Distinct().ToListAsync();
            Assert.Equal([school], organisations.Select(o => o ?? 0));
        }
        Assert.DoesNotContain(page.Items, u => u.Email.EndsWith("@finance.demo", StringComparison.Ordinal));

        await using var hr = await ServicesAsAsync("hr@school.demo");
        Assert.Empty((await hr.GetRequiredService<UsersService>().SearchAsync(null, new PageRequest())).Items);
        var client = factory.CreateBrowserLikeClient();
        await factory.SignInAsync(client, "hr@school.demo");
        Assert.Contains("/Account/AccessDenied", (await client.GetAsync("/users")).Headers.Location?.ToString());
    }

    /// <summary>The request was sent to sign in again: to the sign-in form, or to the page saying the session ended.</summary>
    private static bool IsSignedOut(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location?.ToString() is { } to
        && (to.Contains("/Account/Login") || to.Contains("/Account/SignedOut"));

    private async Task<ServiceProvider> ServicesAsAsync(string email) =>
        ServicesOnDatabase.Create(factory.DatabasePath, await ServicesOnDatabase.AccountAsync(factory.DatabasePath, email),
            new FakeTimeProvider(factory.Services.GetRequiredService<TimeProvider>().GetUtcNow()));

    private async Task<long> AccountlessMemberAsync(string organisation)
    {
        var org = await factory.OrganisationIdAsync(organisation);
        await using var db = factory.SystemDb();
        var withAccount = db.Users.Where(u => u.MemberId != null).Select(u => u.MemberId!.Value);
        return await db.Members.Where(m => m.OrganisationId == org && m.OrgRole == OrgRole.Staff && !withAccount.Contains(m.Id))
            .OrderByDescending(m => m.Id).Select(m => m.Id).FirstAsync();
    }

    private async Task<string> UserIdAsync(string email)
    {
        await using var db = factory.SystemDb();
        return await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
    }

    private Task<(int Code, string Output)> FirstAdminAsync(params string[] args) => FirstAdminAsync(args, "");

    private async Task<(int Code, string Output)> FirstAdminAsync(string[] args, string typed)
    {
        var output = new StringWriter();
        var code = await FirstAdminCommand.RunAsync(factory.Services, args, output, new StringReader(typed + Environment.NewLine));
        return (code, output.ToString());
    }

    private static async Task<HttpResponseMessage> ChangePasswordAsync(HttpClient client, string page, string oldPassword, string newPassword)
    {
        var token = Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        return await client.PostAsync(MustChangePassword.PagePath, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["_handler"] = "change-password",
            ["Input.OldPassword"] = oldPassword,
            ["Input.NewPassword"] = newPassword,
            ["Input.ConfirmPassword"] = newPassword,
        }));
    }

    /// <summary>
    /// The cookie's security stamp is checked once a minute (asserted here): the validator's clock moves 61 seconds ahead for the block,
    /// as if the next request came a minute later. The portal collection runs its tests one at a time.
    /// </summary>
    private IDisposable MinuteLater()
    {
        var options = factory.Services.GetRequiredService<IOptions<SecurityStampValidatorOptions>>().Value;
        Assert.Equal(TimeSpan.FromMinutes(1), options.ValidationInterval);
        var previous = options.TimeProvider;
        options.TimeProvider = new FakeTimeProvider(DateTimeOffset.UtcNow.AddSeconds(61));
        return new Restore(() => options.TimeProvider = previous);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
