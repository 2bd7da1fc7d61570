using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Infrastructure.Security;

/// <summary>
/// Security headers on every response (pages, API, static files, errors, 404s, the jobs dashboard), forwarded headers from configured
/// proxies only, HSTS and HTTPS redirection outside Development (ADR 0014). The headers are added when the response starts, so an
/// error page or a re-executed 404 carries them as well as the page that was asked for.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>The Hangfire dashboard (platform operators only): its own policy, see <see cref="ContentSecurityPolicy.ForJobsDashboard"/>.</summary>
    public const string JobsDashboardPath = "/jobs";

    public static IServiceCollection AddPortalSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SecurityHeadersOptions>().BindConfiguration(SecurityHeadersOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ForwardedHeadersSettings>().BindConfiguration(ForwardedHeadersSettings.SectionName).ValidateDataAnnotations()
            .Validate(s => s.KnownProxies.All(p => IPAddress.TryParse(p, out _)), "ForwardedHeaders:KnownProxies must be IP addresses.")
            .Validate(s => s.KnownNetworks.All(n => System.Net.IPNetwork.TryParse(n, out _)), "ForwardedHeaders:KnownNetworks must be CIDR networks (10.0.0.0/24).")
            .ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ForwardedHeadersSettings>>((o, settings) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.ForwardLimit = settings.Value.ForwardLimit;
            // Only what is configured: the framework's default trusts loopback, which a proxy on the same host would make everyone.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in settings.Value.KnownProxies) o.KnownProxies.Add(IPAddress.Parse(proxy));
            foreach (var network in settings.Value.KnownNetworks) o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        });
        services.AddHsts(o =>
        {
            o.MaxAge = TimeSpan.FromDays(configuration.GetValue($"{SecurityHeadersOptions.SectionName}:{nameof(SecurityHeadersOptions.HstsMaxAgeDays)}", 365));
            o.IncludeSubDomains = false;
        });
        services.AddSingleton<CspReports>();
        return services;
    }

    /// <summary>First in the pipeline: the client address and scheme as the configured proxies saw them (nothing when none is configured).</summary>
    public static IApplicationBuilder UsePortalForwardedHeaders(this IApplicationBuilder app)
    {
        var settings = app.ApplicationServices.GetRequiredService<IOptions<ForwardedHeadersSettings>>().Value;
        return settings.KnownProxies.Length + settings.KnownNetworks.Length == 0 ? app : app.UseForwardedHeaders();
    }

    /// <summary>
    /// Outside Development: HSTS, and HTTP sent to HTTPS (the health and metrics endpoints excepted: probes and scrapers inside the
    /// platform often speak plain HTTP to the instance).
    /// </summary>
    public static IApplicationBuilder UsePortalHttps(this IApplicationBuilder app)
    {
        app.UseHsts();
        return app.UseWhen(c => !c.Request.Path.StartsWithSegments("/health") && !c.Request.Path.StartsWithSegments("/metrics"),
            b => b.UseHttpsRedirection());
    }

    /// <summary>Early in the pipeline (before the exception handler and status-code pages, so their responses carry the headers too).</summary>
    public static IApplicationBuilder UsePortalSecurityHeaders(this IApplicationBuilder app)
    {
        var options = app.ApplicationServices.GetRequiredService<IOptions<SecurityHeadersOptions>>().Value;
        var policyHeader = options.ReportOnly ? "Content-Security-Policy-Report-Only" : "Content-Security-Policy";
        return app.Use((context, next) =>
        {
            var nonce = CspNonce.Create(context);
            // Decided now: the dashboard's middleware moves /jobs into PathBase while it answers.
            var request = context.Request;
            var policy = request.Path.StartsWithSegments(JobsDashboardPath)
                ? ContentSecurityPolicy.ForJobsDashboard(options.ReportPath)
                : ContentSecurityPolicy.ForPortal(nonce, request.IsHttps, request.Host, options.ReportPath);
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers[policyHeader] = policy;
                headers["Reporting-Endpoints"] = $"{ContentSecurityPolicy.ReportGroup}=\"{options.ReportPath}\"";
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "same-origin";
                headers["Permissions-Policy"] = PermissionsPolicy;
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                headers["Cross-Origin-Resource-Policy"] = "same-origin";
                return Task.CompletedTask;
            });
            return next(context);
        });
    }

    /// <summary>Features the portal never uses, switched off for it and anything it could embed. Only features Chromium knows
    /// (an unknown one is a console error on every page).</summary>
    public const string PermissionsPolicy =
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=(), fullscreen=(self)";
}

/// <summary>A fresh nonce per response for the one inline script the portal has (the import map, <c>&lt;ImportMap nonce=…&gt;</c>).</summary>
public static class CspNonce
{
    private const string ItemKey = "cep:csp-nonce";

    internal static string Create(HttpContext context)
    {
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
        context.Items[ItemKey] = nonce;
        return nonce;
    }

    /// <summary>The nonce of this response (pages pass it to their inline scripts).</summary>
    public static string Of(HttpContext context) => context.Items[ItemKey] as string ?? "";
}

/// <summary>The two policies (ADR 0014 says why each source is there).</summary>
public static class ContentSecurityPolicy
{
    /// <summary>The <c>report-to</c> group (<c>Reporting-Endpoints</c>).</summary>
    public const string ReportGroup = "csp";

    /// <summary>
    /// Pages, API answers, static files and errors. Scripts: the portal's own files and the nonce'd import map, nothing inline, no eval.
    /// Styles: <c>'unsafe-inline'</c>, because MudBlazor writes <c>style</c> attributes from C# (positions of popovers, widths, colours)
    /// and its theme provider renders a <c>&lt;style&gt;</c> element; neither can carry a nonce or a stable hash. The circuit's
    /// WebSocket is named for old browsers that do not count ws(s) as 'self'; the 2FA QR code is a data: image.
    /// </summary>
    public static string ForPortal(string nonce, bool https, HostString host, string reportPath)
    {
        var socket = host.HasValue ? $" {(https ? "wss" : "ws")}://{host.Value}" : "";
        return "default-src 'self'; "
            + $"script-src 'self' 'nonce-{nonce}'; "
            + "style-src 'self' 'unsafe-inline'; "
            + "img-src 'self' data:; "
            + "font-src 'self'; "
            + $"connect-src 'self'{socket}; "
            + "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; frame-src 'none'; "
            + "worker-src 'self'; manifest-src 'self'; "
            + (https ? "upgrade-insecure-requests; " : "")
            // Chromium ignores report-uri once report-to is present, and the Reporting API batches (up to a minute) and needs HTTPS:
            // report-to only over HTTPS, so plain-HTTP development and tests get their reports at once.
            + $"report-uri {reportPath}" + (https ? $"; report-to {ReportGroup}" : "");
    }

    /// <summary>
    /// Hangfire's dashboard (read-only, platform operators only): no inline script, so scripts from its own files only; its job detail
    /// page colours states with <c>style</c> attributes and its charts script inserts a <c>&lt;style&gt;</c> element, so inline styles are
    /// allowed here (never scripts). It needs no WebSocket and no data: image beyond its own.
    /// </summary>
    public static string ForJobsDashboard(string reportPath) =>
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        + "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; frame-src 'none'; "
        + $"report-uri {reportPath}; report-to {ReportGroup}";
}
