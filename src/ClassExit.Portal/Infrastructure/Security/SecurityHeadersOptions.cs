using System.ComponentModel.DataAnnotations;

namespace ClassExit.Portal.Infrastructure.Security;

/// <summary>The <c>SecurityHeaders</c> section: the Content-Security-Policy and its violation reports (ADR 0014).</summary>
public sealed class SecurityHeadersOptions
{
    public const string SectionName = "SecurityHeaders";

    /// <summary>Send the policy as <c>Content-Security-Policy-Report-Only</c> (reports, blocks nothing): for trying a change of policy.</summary>
    public bool ReportOnly { get; set; }

    /// <summary>Where browsers send violation reports (<c>report-uri</c> and the <c>report-to</c> endpoint).</summary>
    [Required, RegularExpression("^/[A-Za-z0-9/_-]*$")]
    public string ReportPath { get; set; } = "/csp-report";

    /// <summary>Reports logged per minute from one client address; more are answered 429 (51012) and not logged.</summary>
    [Range(1, 10_000)]
    public int ReportsPerMinutePerClient { get; set; } = 20;

    /// <summary>Reports logged per minute from all clients together.</summary>
    [Range(1, 100_000)]
    public int ReportsPerMinute { get; set; } = 300;

    /// <summary>Largest report body accepted (bytes); larger ones are answered 413 (41301).</summary>
    [Range(512, 64 * 1024)]
    public int MaxReportBytes { get; set; } = 8 * 1024;

    /// <summary><c>Strict-Transport-Security</c> max-age outside Development (days).</summary>
    [Range(1, 730)]
    public int HstsMaxAgeDays { get; set; } = 365;
}

/// <summary>
/// The <c>ForwardedHeaders</c> section: the reverse proxies whose <c>X-Forwarded-For</c> / <c>X-Forwarded-Proto</c> the portal believes.
/// Empty (the default): none, the headers are ignored and the client address is the connection's.
/// </summary>
public sealed class ForwardedHeadersSettings
{
    public const string SectionName = "ForwardedHeaders";

    /// <summary>Proxy addresses, e.g. <c>10.0.0.5</c>.</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Proxy networks in CIDR notation, e.g. <c>10.0.0.0/24</c>.</summary>
    public string[] KnownNetworks { get; set; } = [];

    /// <summary>How many proxies in front of the portal (entries of <c>X-Forwarded-For</c> taken from the right).</summary>
    [Range(1, 10)]
    public int ForwardLimit { get; set; } = 1;
}
