using ClassExit.Portal.Infrastructure.Authorization;
using System.Net;
using System.Text.RegularExpressions;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.TestSupport;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ClassExit.Portal.Tests.Features.Accounts;

/// <summary>Two-factor sign-in on the real portal, through the real static pages (antiforgery and all), with fresh accounts.</summary>
[Collection(PortalCollection.Name)]
public class TwoFactorTests(PortalFactory factory)
{
    [Fact]
    public void Oracle_MatchesRfc6238TestVector()
    {
        // RFC 6238 appendix B, SHA-1: key "12345678901234567890", T = 59 s → 94287082; six digits are its last six.
        Assert.Equal("287082", Totp.Code("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", DateTimeOffset.FromUnixTimeSeconds(59)));
        Assert.Equal("081804", Totp.Code("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", DateTimeOffset.FromUnixTimeSeconds(1111111109)));
    }

    [Fact]
    public async Task Enrol_ShowsKeyAndQr_StoresOnlyHashesOfTenCodes_AndAudits()
    {
        var (email, userId) = await CreateUserAsync(DemoSeeder.SchoolName, PortalRoles.SchoolStaff);
        var client = factory.CreateBrowserLikeClient();
        await factory.SignInAsync(client, email);

        var page = await client.GetStringAsync("/Account/Manage/EnableAuthenticator");
        Assert.Contains("data:image/png;base64,", page);
        var key = SharedKey(page);
        Assert.Matches("^([a-z2-7]{4} )+[a-z2-7]{1,4}$", key);

        var wrong = await PostAsync(client, "/Account/Manage/EnableAuthenticator", page, "send-code", new() { ["Input.Code"] = "000000" == Totp.Code(key) ? "111111" : "000000" });
        Assert.Contains("验证码错误", await wrong.Content.ReadAsStringAsync());
        Assert.False(await TwoFactorEnabledAsync(userId));

        var codes = await EnrolAsync(client, page);
        Assert.Equal(10, codes.Count);
        Assert.Equal(10, codes.Distinct().Count());
        Assert.True(await TwoFactorEnabledAsync(userId));

        await using var db = factory.SystemDb();
        var stored = await db.UserTokens.Where(t => t.UserId == userId && t.Name == "RecoveryCodes").Select(t => t.Value).SingleAsync();
        Assert.NotNull(stored);
        Assert.Equal(10, stored!.Split(';').Length);
        Assert.All(stored.Split(';'), h => Assert.Matches("^[0-9A-F]{64}$", h));
        Assert.All(codes, c => Assert.DoesNotContain(c, stored, StringComparison.OrdinalIgnoreCase));
        Assert.All(codes, c => Assert.DoesNotContain(c.Replace("-", ""), stored.Replace("-", ""), StringComparison.OrdinalIgnoreCase));

        var actions = await db.AuditEntries.Where(a => a.ActorUserId == userId).Select(a => new { a.Action, a.IsSecurityEvent }).ToListAsync();
        Assert.Contains(actions, a => a.Action == "security.two_factor_enabled" && a.IsSecurityEvent);
        Assert.Contains(actions, a => a.Action == "security.recovery_codes_generated" && a.IsSecurityEvent);
    }

    [Fact]
    public async Task SignIn_AfterEnrolment_NeedsTheCode_WrongCodeRefusedAndAudited()
    {
        var (email, userId) = await CreateUserAsync(DemoSeeder.SchoolName, PortalRoles.SchoolStaff);
        var enrolling = factory.CreateBrowserLikeClient();
        await factory.SignInAsync(enrolling, email);
        var page = await enrolling.GetStringAsync("/Account/Manage/EnableAuthenticator");
        var key = SharedKey(page);
        await EnrolAsync(enrolling, page);

        var client = factory.CreateBrowserLikeClient();
        var password = await factory.SignInAsync(client, email);
        Assert.Equal(HttpStatusCode.Redirect, password.StatusCode);
        Assert.Contains("Account/LoginWith2fa", password.Headers.Location!.ToString());
        // The password alone signs nobody in.
        Assert.True(PortalFactory.IsRedirectToLogin(await client.GetAsync("/classes")));

        var twoFactorPage = await client.GetStringAsync("/Account/LoginWith2fa");
        var current = Totp.Code(key);
        var wrongCode = current == "123456" ? "654321" : "123456";
        var wrong = await PostAsync(client, "/Account/LoginWith2fa", twoFactorPage, "login-with-2fa", new() { ["Input.TwoFactorCode"] = wrongCode });
        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        Assert.Contains("验证码错误", await wrong.Content.ReadAsStringAsync());
        Assert.True(PortalFactory.IsRedirectToLogin(await client.GetAsync("/classes")));

        var right = await PostAsync(client, "/Account/LoginWith2fa", twoFactorPage, "login-with-2fa", new() { ["Input.TwoFactorCode"] = Totp.Code(key) });
        Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Account/Manage")).StatusCode);

        await using var db = factory.SystemDb();
        var actions = await db.AuditEntries.Where(a => a.ActorUserId == userId).Select(a => new { a.Action, a.IsSecurityEvent }).ToListAsync();
        Assert.Contains(actions, a => a.Action == "auth.sign_in_second_factor");
        Assert.Contains(actions, a => a.Action == "auth.two_factor_failed" && a.IsSecurityEvent);
        Assert.Contains(actions, a => a.Action == "auth.sign_in_two_factor");
        // Identity counted the wrong code toward lockout, and the successful sign-in reset the count.
        Assert.Equal(0, await db.Users.Where(u => u.Id == userId).Select(u => u.AccessFailedCount).SingleAsync());
    }

    [Fact]
    public async Task RecoveryCode_WorksOnce_RefusedTheSecondTime()
    {
        var (email, userId) = await CreateUserAsync(DemoSeeder.SchoolName, PortalRoles.SchoolStaff);
        var enrolling = factory.CreateBrowserLikeClient();
        await factory.SignInAsync(enrolling, email);
        var codes = await EnrolAsync(enrolling, await enrolling.GetStringAsync("/Account/Manage/EnableAuthenticator"));

        var first = factory.CreateBrowserLikeClient();
        var used = await SignInWithRecoveryCodeAsync(first, email, codes[0].ToLowerInvariant());
        Assert.Equal(HttpStatusCode.Redirect, used.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync("/Account/Manage")).StatusCode);

        var second = factory.CreateBrowserLikeClient();
        var again = await SignInWithRecoveryCodeAsync(second, email, codes[0]);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("恢复代码错误或已被使用", await again.Content.ReadAsStringAsync());
        Assert.True(PortalFactory.IsRedirectToLogin(await second.GetAsync("/classes")));

        using var scope = factory.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        Assert.Equal(9, await users.CountRecoveryCodesAsync((await users.FindByIdAsync(userId))!));
        await using var db = factory.SystemDb();
        var actions = await db.AuditEntries.Where(a => a.ActorUserId == userId).Select(a => a.Action).ToListAsync();
        Assert.Single(actions, a => a == "auth.sign_in_recovery_code");
        Assert.Single(actions, a => a == "auth.recovery_code_failed");
    }

    [Fact]
    public async Task Requirement_ForcesEnrolmentBeforeAnythingElse_AndOnlyForThoseItNames()
    {
        var finance = await factory.OrganisationIdAsync(DemoSeeder.FinanceName);
        var (admin, _) = await CreateUserAsync(DemoSeeder.FinanceName, PortalRoles.EnterpriseAdmin);
        var (hr, _) = await CreateUserAsync(DemoSeeder.FinanceName, PortalRoles.HrOperator);
        await SetRequirementAsync(finance, TwoFactorRequirement.EnterpriseAdmins);
        try
        {
            var client = factory.CreateBrowserLikeClient();
            await factory.SignInAsync(client, admin);
            foreach (var path in new[] { "/", "/classes", "/policies" })
            {
                var response = await client.GetAsync(path);
                Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
                Assert.Equal(TwoFactorPolicy.EnrolmentPath, response.Headers.Location!.ToString());
            }
            // Account pages stay reachable.
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Account/Manage")).StatusCode);
            var page = await client.GetStringAsync("/Account/Manage/EnableAuthenticator");
            Assert.Contains("data-testid=\"must-enrol\"", page);

            await EnrolAsync(client, page);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/classes")).StatusCode);

            // The requirement names enterprise admins only: the HR operator is not sent to enrolment.
            var hrClient = factory.CreateBrowserLikeClient();
            await factory.SignInAsync(hrClient, hr);
            Assert.Equal(HttpStatusCode.OK, (await hrClient.GetAsync("/classes")).StatusCode);
        }
        finally
        {
            await SetRequirementAsync(finance, TwoFactorRequirement.Nobody);
        }
    }

    [Fact]
    public async Task Admin_SetsTheRequirement_AfterStepUp_AuditedWithBeforeAndAfter()
    {
        var finance = await factory.OrganisationIdAsync(DemoSeeder.FinanceName);
        var (policies, scope) = await factory.ServiceAsAsync<ClassExit.Portal.Features.ExitPolicies.PolicyService>("admin@finance.demo");
        using var _ = scope;
        try
        {
            Assert.Equal(ClassExit.Portal.Domain.Errors.ErrorCatalogue.StepUpFailed,
                await policies.SaveTwoFactorRequirementAsync(TwoFactorRequirement.Everyone, "wrong-password"));
            Assert.Equal(TwoFactorRequirement.Nobody, await policies.GetTwoFactorRequirementAsync());

            Assert.Null(await policies.SaveTwoFactorRequirementAsync(TwoFactorRequirement.AdminsAndHr, DemoSeeder.Password));
            Assert.Equal(TwoFactorRequirement.AdminsAndHr, await policies.GetTwoFactorRequirementAsync());
            await using var db = factory.SystemDb();
            var entry = await db.AuditEntries.Where(a => a.Action == "policy.two_factor_changed" && a.OrganisationId == finance)
                .OrderByDescending(a => a.Id).FirstAsync();
            Assert.True(entry.IsSecurityEvent);
            Assert.Contains("\"before\":{\"twoFactorRequiredFor\":\"Nobody\"}", entry.Details);
            Assert.Contains("\"after\":{\"twoFactorRequiredFor\":\"AdminsAndHr\"}", entry.Details);
        }
        finally
        {
            await SetRequirementAsync(finance, TwoFactorRequirement.Nobody);
        }
    }

    [Theory]
    [InlineData("admin@school.demo", "/classes")]
    [InlineData("hr@finance.demo", "/classes")]
    [InlineData("operator@platform.demo", "/platform/quota-requests")]
    public async Task DemoAccounts_AreNotForcedToEnrol(string email, string path)
    {
        var client = factory.CreateBrowserLikeClient();
        await factory.SignInAsync(client, email);
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public void Policy_PlatformOperatorsAlwaysRequireIt_ButInDemoMode()
    {
        string[] op = [PortalRoles.PlatformOperator];
        Assert.True(TwoFactorPolicy.IsRequired(TwoFactorRequirement.Nobody, op, demoMode: false));
        Assert.False(TwoFactorPolicy.IsRequired(TwoFactorRequirement.Nobody, op, demoMode: true));
        Assert.False(TwoFactorPolicy.IsRequired(TwoFactorRequirement.Nobody, [PortalRoles.EnterpriseAdmin], demoMode: false));
        Assert.True(TwoFactorPolicy.IsRequired(TwoFactorRequirement.EnterpriseAdmins, [PortalRoles.EnterpriseAdmin], demoMode: true));
        Assert.False(TwoFactorPolicy.IsRequired(TwoFactorRequirement.EnterpriseAdmins, [PortalRoles.HrOperator], demoMode: false));
        Assert.True(TwoFactorPolicy.IsRequired(TwoFactorRequirement.AdminsAndHr, [PortalRoles.HrOperator], demoMode: false));
        Assert.False(TwoFactorPolicy.IsRequired(TwoFactorRequirement.AdminsAndHr, [PortalRoles.SchoolStaff, PortalRoles.Auditor], demoMode: false));
        Assert.True(TwoFactorPolicy.IsRequired(TwoFactorRequirement.Everyone, [PortalRoles.Auditor], demoMode: false));
    }

    private async Task<(string Email, string UserId)> CreateUserAsync(string organisation, string role)
    {
        var email = $"tfa-{Guid.NewGuid():N}@test.demo";
        var org = await factory.OrganisationIdAsync(organisation);
        using var scope = factory.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, OrganisationId = org, DisplayName = "TFA " + email[4..12] };
        Assert.True((await users.CreateAsync(user, DemoSeeder.Password)).Succeeded);
        Assert.True((await users.AddToRoleAsync(user, role)).Succeeded);
        return (email, user.Id);
    }

    private async Task SetRequirementAsync(long organisationId, TwoFactorRequirement requirement)
    {
        await using var db = factory.SystemDb();
        var organisation = await db.Organisations.SingleAsync(o => o.Id == organisationId);
        organisation.RequireTwoFactorFor(requirement);
        await db.SaveChangesAsync();
    }

    private async Task<bool> TwoFactorEnabledAsync(string userId)
    {
        await using var db = factory.SystemDb();
        return await db.Users.Where(u => u.Id == userId).Select(u => u.TwoFactorEnabled).SingleAsync();
    }

    private static string SharedKey(string page) =>
        WebUtility.HtmlDecode(Regex.Match(page, "data-testid=\"shared-key\">([^<]+)<").Groups[1].Value);

    /// <summary>Confirms the enrolment page with the code an authenticator app would show; returns the recovery codes shown.</summary>
    private static async Task<List<string>> EnrolAsync(HttpClient client, string page)
    {
        var response = await PostAsync(client, "/Account/Manage/EnableAuthenticator", page, "send-code", new() { ["Input.Code"] = Totp.Code(SharedKey(page)) });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        var codes = Regex.Matches(html, "<code class=\"recovery-code\">([^<]+)</code>").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(codes);
        return codes;
    }

    private async Task<HttpResponseMessage> SignInWithRecoveryCodeAsync(HttpClient client, string email, string code)
    {
        var password = await factory.SignInAsync(client, email);
        Assert.Contains("Account/LoginWith2fa", password.Headers.Location!.ToString());
        var page = await client.GetStringAsync("/Account/LoginWithRecoveryCode");
        return await PostAsync(client, "/Account/LoginWithRecoveryCode", page, "login-with-recovery-code", new() { ["Input.RecoveryCode"] = code });
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string page, string handler, Dictionary<string, string> fields)
    {
        var token = Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(token);
        fields["__RequestVerificationToken"] = token;
        fields["_handler"] = handler;
        return client.PostAsync(path, new FormUrlEncodedContent(fields));
    }
}
