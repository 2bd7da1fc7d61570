using System.Net;
using System.Text;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace ClassExit.Portal.Tests.Operations;

/// <summary>The CSP report endpoint: both report formats accepted, malformed and oversized bodies refused, and the rate limit.</summary>
public sealed class CspReportTests(CspReportTests.LowLimitFactory factory) : IClassFixture<CspReportTests.LowLimitFactory>
{
    public const int PerClient = 3;

    public sealed class LowLimitFactory : PortalFactory
    {
        protected override void ConfigureMore(IWebHostBuilder builder) =>
            builder.UseSetting("SecurityHeaders:ReportsPerMinutePerClient", PerClient.ToString());
    }

    internal static StringContent Report(string directive) => new(
        $$$"""{"csp-report":{"document-uri":"http://localhost/classes","violated-directive":"{{{directive}}}","effective-directive":"{{{directive}}}","blocked-uri":"inline","line-number":7}}""",
        Encoding.UTF8, "application/csp-report");

    private static StringContent ReportingApi() => new(
        """[{"type":"csp-violation","age":1,"url":"http://localhost/","body":{"documentURL":"http://localhost/","effectiveDirective":"script-src-elem","blockedURL":"inline","disposition":"enforce"}}]""",
        Encoding.UTF8, "application/reports+json");

    [Fact]
    public async Task Reports_AreAccepted_ThenRateLimited_AndBadBodiesRefused()
    {
        var client = factory.CreateClient();
        // Malformed and oversized bodies are refused before they count (the limiter counts logged attempts only after the size check).
        using var tooLarge = await client.PostAsync("/csp-report", new StringContent(new string(' ', 9000) + "{}", Encoding.UTF8, "application/csp-report"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal(41301, (await tooLarge.JsonAsync()).GetProperty("code").GetInt32());

        var statuses = new List<HttpStatusCode>();
        using (var legacy = await client.PostAsync("/csp-report", Report("img-src"))) statuses.Add(legacy.StatusCode);
        using (var modern = await client.PostAsync("/csp-report", ReportingApi())) statuses.Add(modern.StatusCode);
        using (var malformed = await client.PostAsync("/csp-report", new StringContent("{not json", Encoding.UTF8, "application/csp-report")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
            Assert.Equal(40002, (await malformed.JsonAsync()).GetProperty("code").GetInt32());
        }
        Assert.Equal([HttpStatusCode.NoContent, HttpStatusCode.NoContent], statuses);

        // The malformed body took the third permit of this minute: the next report is refused with 51012.
        using var limited = await client.PostAsync("/csp-report", Report("img-src"));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(51012, (await limited.JsonAsync()).GetProperty("code").GetInt32());
    }
}
