using ClassExit.Portal.Infrastructure.Authorization;
using System.Net;
using System.Reflection;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Identity;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Tests.Features.Sessions;

/// <summary>Server-side sessions, step-up, rate limits and the password list, on a portal with a fake clock.</summary>
[Collection(PortalCollection.Name)]
public sealed class SessionTests(SessionPortalFactory factory) : IClassFixture<SessionPortalFactory>
{
    private const string Probe = "/Account/Manage";
    private static readonly Uri Base = new("http://localhost");

    private async Task<PortalUser> CreateUserAsync(string prefix)
    {
        var email = $"{prefix}-{Guid.NewGuid():N}@school.demo";
        var org = await factory.OrganisationIdAsync(DemoSeeder.SchoolName);
        using var scope = factory.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, OrganisationId = org, DisplayName = "Session Test" };
        var created = await users.CreateAsync(user, DemoSeeder.Password);
        Assert.True(created.Succeeded, string.Join(" ", created.Errors.Select(e => e.Code)));
        return user;
    }

    private (HttpClient Client, CookieContainer Cookies) NewClient()
    {
        var cookies = new CookieContainer();
        return (factory.CreateDefaultClient(new CookieContainerHandler(cookies)), cookies);
    }

    private async Task<(HttpClient Client, CookieContainer Cookies)> SignedInAsync(PortalUser user)
    {
        var (client, cookies) = NewClient();
        var response = await factory.SignInAsync(client, user.Email!);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.False(PortalFactory.IsRedirectToLogin(response));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Probe)).StatusCode);
        return (client, cookies);
    }

    private async Task<List<PortalSession>> SessionsAsync(string userId)
    {
        await using var db = factory.SystemDb();
        return await db.PortalSessions.AsNoTracking().Where(s => s.UserId == userId).ToListAsync();
    }

    private static async Task<string> TokenAsync(HttpClient client, string page)
    {
        var html = await client.GetStringAsync(page);
        return Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
    }

    [Fact]
    public async Task Idle_MoreThanThirtyMinutesWithoutARequest_EndsTheSessionOnTheServer()
    {
        var user = await CreateUserAsync("idle");
        var (client, _) = await SignedInAsync(user);

        // Activity keeps it alive: 29 minutes, a request, 29 more minutes, a request.
        factory.Clock.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Probe)).StatusCode);
        factory.Clock.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Probe)).StatusCode);

        factory.Clock.Advance(TimeSpan.FromMinutes(31));
        var ended = await client.GetAsync(Probe);
        Assert.Equal(HttpStatusCode.Redirect, ended.StatusCode);
        Assert.Contains("/Account/SignedOut?reason=idle", ended.Headers.Location!.ToString());
        Assert.True(PortalFactory.IsRedirectToLogin(await client.GetAsync(Probe)));

        var session = Assert.Single(await SessionsAsync(user.Id));
        Assert.Equal(SessionEndReasons.Idle, session.EndReason);

        var page = await client.GetStringAsync(ended.Headers.Location);
        Assert.Contains("data-reason=\"Idle\"", page);
    }

    [Fact]
    public async Task Absolute_TwelveHoursAfterSignIn_EndsAnActiveSession()
    {
        var user = await CreateUserAsync("absolute");
        var (client, _) = await SignedInAsync(user);
        var start = factory.Clock.GetUtcNow();

        HttpResponseMessage? ended = null;
        for (var i = 0; i < 40 && ended is null; i++)
        {
            factory.Clock.Advance(TimeSpan.FromMinutes(25));
            var response = await client.GetAsync(Probe);
            if (factory.Clock.GetUtcNow() - start < TimeSpan.FromHours(12)) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            else ended = response;
        }
        Assert.NotNull(ended);
        Assert.Equal(HttpStatusCode.Redirect, ended.StatusCode);
        Assert.Contains("/Account/SignedOut?reason=expired", ended.Headers.Location!.ToString());
        // One session throughout: the security stamp refreshes (every 30 minutes) re-issued the cookie of the same session.
        var session = Assert.Single(await SessionsAsync(user.Id));
        Assert.Equal(SessionEndReasons.Expired, session.EndReason);
    }

    [Fact]
    public async Task SignOut_RevokesTheSessionOnTheServer_AReplayedCookieIsRefused()
    {
        var user = await CreateUserAsync("signout");
        var (client, cookies) = await SignedInAsync(user);
        var copy = cookies.GetCookies(Base)["classexit.auth"];
        Assert.NotNull(copy);

        var token = await TokenAsync(client, Probe);
        var signOut = await client.PostAsync("/Account/Logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["ReturnUrl"] = "",
        }));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal(SessionEndReasons.SignedOut, Assert.Single(await SessionsAsync(user.Id)).EndReason);

        var (replay, replayCookies) = NewClient();
        replayCookies.Add(Base, new Cookie(copy.Name, copy.Value, "/"));
        var refused = await replay.GetAsync(Probe);
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.Contains("/Account/SignedOut?reason=ended", refused.Headers.Location!.ToString());
    }

    [Fact]
    public async Task SignOutEverywhere_EndsTheOtherBrowsersSession_RotatesTheStamp_IsAudited()
    {
        var user = await CreateUserAsync("everywhere");
        var (laptop, _) = await SignedInAsync(user);
        var (phone, _) = await SignedInAsync(user);
        string? stampBefore;
        using (var scope = factory.Services.CreateScope())
            stampBefore = (await scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>().FindByIdAsync(user.Id))!.SecurityStamp;

        var token = await TokenAsync(laptop, Probe);
        var response = await laptop.PostAsync("/Account/LogoutEverywhere",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("Account/SignedOut?reason=everywhere", response.Headers.Location!.ToString());

        var phoneNext = await phone.GetAsync(Probe);
        Assert.Equal(HttpStatusCode.Redirect, phoneNext.StatusCode);
        Assert.DoesNotContain("/Account/Manage", phoneNext.Headers.Location!.ToString());
        var sessions = await SessionsAsync(user.Id);
        Assert.Equal(2, sessions.Count);
        Assert.All(sessions, s => Assert.Equal(SessionEndReasons.SignedOutEverywhere, s.EndReason));

        await using var db = factory.SystemDb();
        Assert.NotEqual(stampBefore, (await db.Users.AsNoTracking().SingleAsync(u => u.Id == user.Id)).SecurityStamp);
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "security.signed_out_everywhere" && a.ActorUserId == user.Id && a.IsSecurityEvent));
    }

    [Fact]
    public async Task Circuit_RevalidationFailsOnceTheSessionEnded_AndSaysWhy()
    {
        var user = await CreateUserAsync("circuit");
        await SignedInAsync(user);
        var session = Assert.Single(await SessionsAsync(user.Id));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, user.Id),
            new Claim(PortalClaims.SessionId, session.Id),
            new Claim("AspNet.Identity.SecurityStamp", (await SecurityStampAsync(user.Id))!),
        ], "Identity.Application"));

        using var scope = factory.Services.CreateScope();
        var provider = scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>();
        var validate = provider.GetType().GetMethod("ValidateAuthenticationStateAsync", BindingFlags.Instance | BindingFlags.NonPublic)!;
        async Task<bool> ValidAsync() =>
            await (Task<bool>)validate.Invoke(provider, [new AuthenticationState(principal), CancellationToken.None])!;

        Assert.True(await ValidAsync());
        factory.Clock.Advance(TimeSpan.FromMinutes(31));
        Assert.False(await ValidAsync());
        Assert.Equal(SessionEndReasons.Idle, (string?)provider.GetType().GetProperty("EndedReason")!.GetValue(provider));
    }

    private async Task<string?> SecurityStampAsync(string userId)
    {
        await using var db = factory.SystemDb();
        return (await db.Users.AsNoTracking().SingleAsync(u => u.Id == userId)).SecurityStamp;
    }

    private async Task<PortalPrincipal> SignedInPrincipalAsync(PortalUser user)
    {
        await SignedInAsync(user);
        var session = Assert.Single(await SessionsAsync(user.Id));
        return PortalPrincipal.From(new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, user.Id),
            new Claim(PortalClaims.OrganisationId, user.OrganisationId!.Value.ToString()),
            new Claim(PortalClaims.SessionId, session.Id),
        ], "Identity.Application")))!;
    }

    [Fact]
    public async Task StepUp_HoldsFiveMinutesInTheSession_ThenAsksAgain()
    {
        var user = await CreateUserAsync("window");
        var principal = await SignedInPrincipalAsync(user);
        using var scope = factory.Services.CreateScope();
        var stepUp = scope.ServiceProvider.GetRequiredService<StepUpVerifier>();
        await using var db = factory.SystemDb();

        Assert.False(await stepUp.VerifyAsync(principal, "", "test", db, default));
        Assert.True(await stepUp.VerifyAsync(principal, DemoSeeder.Password, "test", db, default));
        factory.Clock.Advance(TimeSpan.FromMinutes(4));
        // The second sensitive change inside the window needs no password.
        Assert.True(await stepUp.VerifyAsync(principal, "", "test", db, default));
        Assert.NotNull(Assert.Single(await SessionsAsync(user.Id)).SteppedUpAt);

        factory.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.False(await stepUp.VerifyAsync(principal, "", "test", db, default));
        Assert.True(await stepUp.VerifyAsync(principal, DemoSeeder.Password, "test", db, default));
    }

    [Fact]
    public async Task StepUp_WithTwoFactor_AcceptsTheAuthenticatorCode_NotThePassword_FailuresCountAndAreAudited()
    {
        var user = await CreateUserAsync("totp");
        string key;
        using (var scope = factory.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var account = (await users.FindByIdAsync(user.Id))!;
            await users.ResetAuthenticatorKeyAsync(account);
            await users.SetTwoFactorEnabledAsync(account, true);
            key = (await users.GetAuthenticatorKeyAsync(account))!;
        }
        // No session: the user signs in with a second factor (another page); step-up itself needs none.
        var principal = PortalPrincipal.From(new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, user.Id),
            new Claim(PortalClaims.OrganisationId, user.OrganisationId!.Value.ToString()),
        ], "Identity.Application")))!;

        using var verifierScope = factory.Services.CreateScope();
        var stepUp = verifierScope.ServiceProvider.GetRequiredService<StepUpVerifier>();
        await using var db = factory.SystemDb();
        Assert.False(await stepUp.VerifyAsync(principal, DemoSeeder.Password, "test", db, default));
        var code = Totp.Code(key, DateTimeOffset.UtcNow);
        var wrong = ((int.Parse(code) + 500_000) % 1_000_000).ToString("D6");
        Assert.False(await stepUp.VerifyAsync(principal, wrong, "test", db, default));
        Assert.True(await stepUp.VerifyAsync(principal, code, "test", db, default));

        await using var check = factory.SystemDb();
        Assert.Equal(2, await check.AuditEntries.CountAsync(a => a.Action == "security.step_up_failed" && a.ActorUserId == user.Id && a.IsSecurityEvent));
        // The success reset the count of the two failures.
        Assert.Equal(0, (await check.Users.AsNoTracking().SingleAsync(u => u.Id == user.Id)).AccessFailedCount);
    }

    [Fact]
    public async Task SignIn_OverTheLimitForOneAccount_Answers429WithRetryAfter_AndIsAudited()
    {
        var email = $"nobody-{Guid.NewGuid():N}@example.test";
        var (client, _) = NewClient();
        for (var i = 0; i < SessionPortalFactory.SignInPerAccountLimit; i++)
            Assert.Equal(HttpStatusCode.OK, (await factory.SignInAsync(client, email, "wrong-" + i)).StatusCode);

        var refused = await factory.SignInAsync(client, email, "wrong-again");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var retryAfter = int.Parse(Assert.Single(refused.Headers.GetValues("Retry-After")));
        Assert.InRange(retryAfter, 1, 5 * 60);
        Assert.Contains("data-testid=\"rate-limited\"", await refused.Content.ReadAsStringAsync());

        // Another account from the same address is not affected.
        var other = await CreateUserAsync("limit-other");
        Assert.Equal(HttpStatusCode.Redirect, (await factory.SignInAsync(NewClient().Client, other.Email!)).StatusCode);

        await using var db = factory.SystemDb();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "auth.sign_in_rate_limited" && a.ActorName == email && a.IsSecurityEvent));
    }

    [Fact]
    public async Task ChangePassword_WrongCurrentPassword_CountsTowardsLockout()
    {
        var user = await CreateUserAsync("change");
        var (client, _) = await SignedInAsync(user);
        var token = await TokenAsync(client, "/Account/Manage/ChangePassword");
        var response = await client.PostAsync("/Account/Manage/ChangePassword", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["_handler"] = "change-password",
            ["Input.OldPassword"] = "not-my-password",
            ["Input.NewPassword"] = "An0ther#Passphrase",
            ["Input.ConfirmPassword"] = "An0ther#Passphrase",
        }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var db = factory.SystemDb();
        Assert.Equal(1, (await db.Users.AsNoTracking().SingleAsync(u => u.Id == user.Id)).AccessFailedCount);
    }

    [Theory]
    [InlineData("password1234")]
    [InlineData("Password123!")]
    [InlineData("Qwertyuiop1!")]
    public async Task CommonPassword_IsRefused(string password)
    {
        using var scope = factory.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var email = $"common-{Guid.NewGuid():N}@school.demo";
        var result = await users.CreateAsync(new PortalUser { UserName = email, Email = email, DisplayName = "Common" }, password);
        Assert.Contains(result.Errors, e => e.Code == CommonPasswordValidator.ErrorCode);
    }

    [Fact]
    public void CommonPasswordList_HasThousands_AndNotTheDemoPassword()
    {
        Assert.InRange(CommonPasswordValidator.Count, 5_000, 50_000);
        Assert.False(CommonPasswordValidator.IsCommon(DemoSeeder.Password));
        Assert.True(CommonPasswordValidator.IsCommon("iloveyou"));
    }

    [Fact]
    public async Task Cookie_InDevelopment_IsHttpOnlyLaxAndNotSecure()
    {
        var user = await CreateUserAsync("cookie");
        var (client, _) = NewClient();
        var response = await factory.SignInAsync(client, user.Email!);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("classexit.auth="));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Cookie_OutsideDevelopment_IsHostPrefixedAndSecure()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddSingleton<IHostEnvironment>(new ProductionEnvironment());
        services.AddLogging();
        services.AddPortalIdentity();
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(IdentityConstants.ApplicationScheme);
        Assert.Equal("__Host-classexit.auth", options.Cookie.Name);
        Assert.Equal(Microsoft.AspNetCore.Http.CookieSecurePolicy.Always, options.Cookie.SecurePolicy);
        Assert.Equal("/", options.Cookie.Path);
        Assert.Null(options.Cookie.Domain);
        Assert.True(options.Cookie.HttpOnly);
        Assert.Equal(Microsoft.AspNetCore.Http.SameSiteMode.Lax, options.Cookie.SameSite);
    }

    private sealed class ProductionEnvironment : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = Environments.Production;
        public string ApplicationName { get; set; } = "ClassExit.Portal";
        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
    }
}

/// <summary>RFC 6238 TOTP (HMAC-SHA1, 30 s, 6 digits) with an RFC 4648 base32 key, written here independently of Identity.</summary>
internal static class Totp
{
    public static string Code(string base32Key, DateTimeOffset at)
    {
        var key = Base32(base32Key);
        var counter = at.ToUnixTimeSeconds() / 30;
        var message = new byte[8];
        for (var i = 7; i >= 0; i--, counter >>= 8) message[i] = (byte)(counter & 0xff);
        var hash = HMACSHA1.HashData(key, message);
        var offset = hash[^1] & 0x0f;
        var binary = ((hash[offset] & 0x7f) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        return (binary % 1_000_000).ToString("D6");
    }

    private static byte[] Base32(string text)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bits = 0;
        var value = 0;
        var bytes = new List<byte>();
        foreach (var c in text.ToUpperInvariant().Where(c => c != '=' && c != ' '))
        {
            value = (value << 5) | alphabet.IndexOf(c);
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)((value >> (bits - 8)) & 0xff));
                bits -= 8;
            }
        }
        return [.. bytes];
    }
}
