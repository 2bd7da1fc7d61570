using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Tests.Infrastructure;
using ClassExit.Portal.Tests.Shared;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Tests.Features.Localization;

/// <summary>
/// Every routable page of the portal, found by reflection (a new page is checked without touching this test), rendered for a user
/// its policy admits, in zh-CN: the visible text carries no English word beyond proper names, codes (shown in &lt;code&gt;) and
/// the language switcher's own "English".
/// </summary>
[Collection(PortalCollection.Name)]
public partial class EveryPageTests(PortalFactory factory)
{
    public static TheoryData<string> Routes()
    {
        var data = new TheoryData<string>();
        foreach (var route in typeof(Program).Assembly.GetTypes()
                     .Where(t => typeof(IComponent).IsAssignableFrom(t))
                     .SelectMany(t => t.GetCustomAttributes<RouteAttribute>()).Select(r => r.Template).Distinct().Order())
            data.Add(route);
        return data;
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Page_ReadsInChinese(string template)
    {
        var page = typeof(Program).Assembly.GetTypes().First(t => t.GetCustomAttributes<RouteAttribute>().Any(r => r.Template == template));
        var client = factory.CreateBrowserLikeClient();
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("zh-CN,zh;q=0.9");
        var user = UserFor(page, template);
        if (user is not null) Assert.Equal(HttpStatusCode.Redirect, (await factory.SignInAsync(client, user)).StatusCode);

        var response = await client.GetAsync(await UrlAsync(template));
        // Every page answers 200, the not-found page too when addressed itself: a detail page that cannot find its row must fail
        // here, not pass as the Chinese not-found page.
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{template} as {user}: {(int)response.StatusCode}");
        var text = VisibleText(await response.Content.ReadAsStringAsync());
        Assert.Matches("[\u4e00-\u9fff]", text);
        var english = ReadableText.EnglishWords(text);
        Assert.True(english.Count == 0, $"{template} as {user ?? "anonymous"} shows English: {ReadableText.Describe(text, english)}");
    }

    [Fact]
    public void EveryRoutablePage_IsCovered_AndHasAnAuthorizationRuleOrIsAnAccountPage()
    {
        var pages = typeof(Program).Assembly.GetTypes().Where(t => t.GetCustomAttributes<RouteAttribute>().Any()).ToList();
        Assert.True(pages.Count >= 25, $"only {pages.Count} pages found");
        foreach (var page in pages)
        {
            var anonymous = page.Namespace!.Contains(".Account") || page.Name is "Error" or "NotFound";
            Assert.True(anonymous || page.GetCustomAttribute<AuthorizeAttribute>()?.Policy is not null, $"{page.Name} has no authorization policy");
        }
    }

    /// <summary>A demo user whom the page's policy admits; null for the pages one sees before signing in.</summary>
    private static string? UserFor(Type page, string template)
    {
        if (template is "/Account/Login" or "/Account/Lockout" or "/Account/InvalidUser" or "/Error" or "/not-found") return null;
        return page.GetCustomAttribute<AuthorizeAttribute>()?.Policy switch
        {
            Policies.PlatformOperator => "operator@platform.demo",
            Policies.HrOperator => "hr@school.demo",
            Policies.AuditReader => "auditor@school.demo",
            Policies.Approver => "teacher@school.demo",
            _ => "admin@school.demo",
        };
    }

    /// <summary>The template with its parameters filled from the demo data (a class, a leaver, an exit request, a batch).</summary>
    private async Task<string> UrlAsync(string template)
    {
        await using var db = factory.SystemDb();
        var school = await factory.OrganisationIdAsync(DemoSeeder.SchoolName);
        var url = template;
        if (url.Contains("{ClassId"))
            url = Param().Replace(url, (await db.Classes.Where(c => c.Name == "高一(1)班").Select(c => c.Id).SingleAsync()).ToString(), 1);
        if (url.Contains("{MemberId"))
            url = Param().Replace(url, (await db.Memberships.Where(m => m.OrganisationId == school).OrderBy(m => m.Id).Select(m => m.MemberId).FirstAsync()).ToString(), 1);
        if (url.Contains("{ExitRequestId"))
            url = Param().Replace(url, (await db.ExitRequests.Where(e => e.OrganisationId == school).OrderBy(e => e.Id).Select(e => e.Id).FirstAsync()).ToString(), 1);
        if (url.Contains("{BatchId"))
        {
            var batch = await db.BatchExits.Where(b => b.OrganisationId == school).Select(b => (long?)b.Id).FirstOrDefaultAsync();
            url = Param().Replace(url, (batch ?? await CreateBatchAsync()).ToString(), 1);
        }
        Assert.DoesNotContain("{", url);
        return url;
    }

    private async Task<long> CreateBatchAsync()
    {
        var api = factory.WithKey(DemoSeeder.SchoolApiKey);
        var me = await (await api.GetAsync("/api/v1/me")).JsonAsync();
        var response = await api.PostAsync("/api/v1/exits/batch", System.Net.Http.Json.JsonContent.Create(new
        {
            operator_id = me.GetProperty("owner_member_id").GetInt64(), class_ids = new[] { 999_999 }, member_ids = new[] { 1 }, reason_code = "100001",
        }));
        return (await response.JsonAsync()).GetProperty("batch_id").GetInt64();
    }

    internal static string VisibleText(string html)
    {
        var body = Regex.Replace(html, "<(script|style|code|template)[^>]*>.*?</\\1>", " ", RegexOptions.Singleline | RegexOptions.IgnoreCase);
        // People's names are proper names (PersonName marks them translate="no").
        body = Regex.Replace(body, "<span translate=\"no\"[^>]*>.*?</span>", " ", RegexOptions.Singleline);
        // Placeholders and titles are read too.
        var attributes = string.Join(" ", Regex.Matches(body, "\\s(?:placeholder|title|aria-label)=\"([^\"]*)\"").Select(m => m.Groups[1].Value));
        body = Regex.Replace(body, "<[^>]+>", " ");
        return WebUtility.HtmlDecode(body + " " + attributes);
    }

    [GeneratedRegex("\\{[^}]+\\}")]
    private static partial Regex Param();
}
