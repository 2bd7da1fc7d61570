using System.Net;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Tests.Features.Localization;

/// <summary>The localised parts of the portal (layout, navigation, dashboard) follow the browser's language and the user's choice.</summary>
[Collection(PortalCollection.Name)]
public class LocalizationTests(PortalFactory factory)
{
    private static string VisibleText(string html) => EveryPageTests.VisibleText(html);

    private async Task<HttpClient> SignedInAsync(string email, string? acceptLanguage)
    {
        var client = factory.CreateBrowserLikeClient();
        if (acceptLanguage is not null) client.DefaultRequestHeaders.AcceptLanguage.ParseAdd(acceptLanguage);
        await factory.SignInAsync(client, email);
        return client;
    }

    [Fact]
    public async Task Dashboard_FollowsAcceptLanguage()
    {
        var en = VisibleText(await (await SignedInAsync("auditor@school.demo", "en-GB,en;q=0.9")).GetStringAsync("/"));
        Assert.Contains("Dashboard", en);
        Assert.Contains("Active members", en);
        Assert.DoesNotContain("在班成员", en);

        var zh = VisibleText(await (await SignedInAsync("auditor@school.demo", "zh-CN,zh;q=0.9")).GetStringAsync("/"));
        Assert.Contains("在班成员", zh);
        Assert.DoesNotContain("Active members", zh);
        // Navigation and dashboard carry no English words in zh-CN (proper names and codes aside).
        var words = ClassExit.Portal.Tests.Shared.ReadableText.EnglishWords(zh);
        Assert.True(words.Count == 0, "English left in zh-CN: " + string.Join(", ", words));
    }

    [Fact]
    public async Task Switcher_StoresTheChoicePerUser_AndTheNextSignInUsesIt()
    {
        var client = await SignedInAsync("teacher2@school.demo", "zh-CN");
        var switched = await client.GetAsync("/culture/set?culture=en&redirectUri=%2Fclasses");
        Assert.Equal(HttpStatusCode.Redirect, switched.StatusCode);
        Assert.Equal("/classes", switched.Headers.Location?.ToString());
        Assert.Contains("Classes", VisibleText(await client.GetStringAsync("/")));

        await using (var db = factory.SystemDb())
            Assert.Equal("en", await db.Users.Where(u => u.Email == "teacher2@school.demo").Select(u => u.PreferredCulture).SingleAsync());

        // A new browser that asks for Chinese still gets the stored English after signing in.
        var fresh = await SignedInAsync("teacher2@school.demo", "zh-CN");
        Assert.Contains("Active members", VisibleText(await fresh.GetStringAsync("/")));

        var invalid = await client.GetAsync("/culture/set?culture=fr&redirectUri=https%3A%2F%2Fevil.example");
        Assert.Equal("/", invalid.Headers.Location?.ToString());
    }
}
