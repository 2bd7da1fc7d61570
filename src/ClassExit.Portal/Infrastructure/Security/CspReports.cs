using System.Text.Json;
using System.Threading.RateLimiting;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Infrastructure.Observability;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Infrastructure.Security;

/// <summary>
/// The Content-Security-Policy violation report endpoint: both formats browsers send (<c>report-uri</c>'s <c>application/csp-report</c>
/// and the Reporting API's <c>application/reports+json</c> list), each violation logged as one warning with its fields cut to a safe
/// length and counted in <c>classexit.csp.reports</c>. Anonymous (a violation can happen on the sign-in page), size-limited
/// (<see cref="SecurityHeadersOptions.MaxReportBytes"/>, 41301) and rate-limited per client address and overall (51012).
/// </summary>
public sealed class CspReports : IDisposable
{
    public static readonly EventId ViolationEvent = new(5101, "CspViolation");
    private const int MaxField = 300;
    private const int MaxReportsPerBody = 10;

    private readonly ILogger<CspReports> _logger;
    private readonly PartitionedRateLimiter<string> _limiter;

    public CspReports(IOptions<SecurityHeadersOptions> options, ILogger<CspReports> logger)
    {
        _logger = logger;
        var o = options.Value;
        _limiter = PartitionedRateLimiter.CreateChained(
            PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetFixedWindowLimiter(client,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = o.ReportsPerMinutePerClient, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })),
            PartitionedRateLimiter.Create<string, string>(_ => RateLimitPartition.GetFixedWindowLimiter("all",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = o.ReportsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })));
    }

    internal async Task<IResult> ReceiveAsync(HttpContext context)
    {
        using var lease = _limiter.AttemptAcquire(context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        if (!lease.IsAcquired) return ApiProblems.Problem(context, ErrorCatalogue.CspReportsRateLimited);
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException)
        {
            return ApiProblems.Problem(context, ErrorCatalogue.MalformedRequest);
        }
        using (document)
        {
            var logged = 0;
            foreach (var report in Violations(document.RootElement).Take(MaxReportsPerBody))
            {
                Log(report);
                logged++;
            }
            return logged == 0 ? ApiProblems.Problem(context, ErrorCatalogue.MalformedRequest) : Results.NoContent();
        }
    }

    /// <summary><c>{"csp-report": {...}}</c> (report-uri) or <c>[{"type":"csp-violation","body":{...}}]</c> (Reporting API).</summary>
    private static IEnumerable<Violation> Violations(JsonElement root)
    {
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("csp-report", out var legacy) && legacy.ValueKind == JsonValueKind.Object)
        {
            yield return new Violation(Field(legacy, "document-uri"), Field(legacy, "effective-directive") ?? Field(legacy, "violated-directive"),
                Field(legacy, "blocked-uri"), Field(legacy, "source-file"), Field(legacy, "line-number"), Field(legacy, "disposition"),
                Field(legacy, "script-sample"));
            yield break;
        }
        if (root.ValueKind != JsonValueKind.Array) yield break;
        foreach (var item in root.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || Field(item, "type") != "csp-violation"
                || !item.TryGetProperty("body", out var body) || body.ValueKind != JsonValueKind.Object) continue;
            yield return new Violation(Field(body, "documentURL"), Field(body, "effectiveDirective"), Field(body, "blockedURL"),
                Field(body, "sourceFile"), Field(body, "lineNumber"), Field(body, "disposition"), Field(body, "sample"));
        }
    }

    private static string? Field(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value)) return null;
        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
        if (text is null) return null;
        // Control characters would let a report forge log lines.
        text = new string(text.Where(c => !char.IsControl(c)).Take(MaxField).ToArray());
        return text;
    }

    private void Log(Violation v)
    {
        PortalMetrics.CspReport(v.Directive);
        _logger.LogWarning(ViolationEvent,
            "CSP violation ({Disposition}): {Directive} blocked {BlockedUri} on {DocumentUri} ({SourceFile}:{Line}) {Sample}",
            v.Disposition ?? "enforce", v.Directive, v.BlockedUri, v.DocumentUri, v.SourceFile, v.Line, v.Sample);
    }

    private sealed record Violation(string? DocumentUri, string? Directive, string? BlockedUri, string? SourceFile, string? Line,
        string? Disposition, string? Sample);

    public void Dispose() => _limiter.Dispose();
}

public static class CspReportEndpoint
{
    /// <summary>POST <see cref="SecurityHeadersOptions.ReportPath"/>: anonymous, no antiforgery (browsers send no token), small bodies only.</summary>
    public static IEndpointConventionBuilder MapCspReports(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<SecurityHeadersOptions>>().Value;
        return app.MapPost(options.ReportPath, (HttpContext context, CspReports reports) => reports.ReceiveAsync(context))
            .AllowAnonymous()
            .DisableAntiforgery()
            .WithBodyLimit(options.MaxReportBytes)
            .ExcludeFromDescription();
    }
}
