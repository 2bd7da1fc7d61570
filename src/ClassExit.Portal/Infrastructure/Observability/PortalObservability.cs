using System.Security.Cryptography;
using System.Text;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Errors;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ClassExit.Portal.Infrastructure.Observability;

/// <summary>
/// OpenTelemetry traces and metrics (ASP.NET Core, HttpClient, EF Core, the .NET runtime, Hangfire job durations and the portal's own
/// meter), exported over OTLP when <c>OpenTelemetry:Endpoint</c> is set and in Prometheus format on <c>/metrics</c>; logs as JSON with
/// the trace id outside Development; <c>/health</c>, <c>/health/live</c>, <c>/health/ready</c> (ADR 0014).
/// </summary>
public static class PortalObservability
{
    public const string MetricsPath = "/metrics";
    private const string ReadyTag = "ready";

    public static WebApplicationBuilder AddPortalObservability(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<OpenTelemetryOptions>().BindConfiguration(OpenTelemetryOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        var otel = builder.Configuration.GetSection(OpenTelemetryOptions.SectionName).Get<OpenTelemetryOptions>() ?? new OpenTelemetryOptions();

        services.AddSingleton<PortalGauges>();
        HangfireJobMetrics.AddOnce();

        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(otel.ServiceName, serviceInstanceId: $"{Environment.MachineName}:{Environment.ProcessId}"))
            .WithTracing(t =>
            {
                t.AddAspNetCoreInstrumentation(o => o.Filter = c => !IsProbe(c.Request.Path))
                    .AddHttpClientInstrumentation()
                    .AddEntityFrameworkCoreInstrumentation();
                if (otel.Endpoint is { } endpoint) t.AddOtlpExporter(o => (o.Endpoint, o.Protocol) = (endpoint, otel.Protocol));
            })
            .WithMetrics(m =>
            {
                m.AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddMeter(PortalMetrics.MeterName)
                    // Every scrape sees the figures of that moment (the exporter's default keeps an answer for 300 ms).
                    .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                if (otel.Endpoint is { } endpoint) m.AddOtlpExporter(o => (o.Endpoint, o.Protocol) = (endpoint, otel.Protocol));
            });

        // Log lines name their trace (and span): the JSON console's scopes carry them, and OTLP logs carry them natively.
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId
            | ActivityTrackingOptions.ParentId);
        if (!builder.Environment.IsDevelopment())
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        if (otel.Endpoint is { } logs)
            builder.Logging.AddOpenTelemetry(o =>
            {
                o.IncludeScopes = true;
                o.IncludeFormattedMessage = true;
                o.AddOtlpExporter(e => (e.Endpoint, e.Protocol) = (logs, otel.Protocol));
            });

        services.AddHealthChecks()
            .AddDbContextCheck<PortalDbContext>("database", tags: [ReadyTag])
            .AddCheck<MigrationsAppliedCheck>("migrations", tags: [ReadyTag])
            .AddCheck<JobServerCheck>("jobs", tags: [ReadyTag]);
        services.AddSingleton<MigrationsAppliedCheck>();
        return builder;
    }

    private static bool IsProbe(PathString path) => path.StartsWithSegments("/health") || path.StartsWithSegments(MetricsPath);

    /// <summary>
    /// <c>/health</c> (every check, as before), <c>/health/live</c> (the process answers; no check), <c>/health/ready</c> (database
    /// reachable, migrations applied, job server running): anonymous, the status word only. <c>/metrics</c>: Prometheus text for
    /// platform operators or the metrics key.
    /// </summary>
    public static WebApplication MapPortalObservability(this WebApplication app)
    {
        app.MapHealthChecks("/health").AllowAnonymous();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag) }).AllowAnonymous();

        // The gauges exist once their owner does.
        app.Services.GetRequiredService<PortalGauges>();
        var key = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value.Key;
        var keyHash = string.IsNullOrEmpty(key) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(key));
        app.MapPrometheusScrapingEndpoint(MetricsPath, meterProvider: null, configureBranchedPipeline: b => b.Use(async (context, next) =>
            {
                if (MayReadMetrics(context, keyHash)) await next(context);
                else if (context.User.Identity?.IsAuthenticated == true)
                    await ApiProblems.Problem(context, ErrorCatalogue.Forbidden).ExecuteAsync(context);
                else
                {
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    await ApiProblems.Problem(context, ErrorCatalogue.MetricsKeyRequired).ExecuteAsync(context);
                }
            }), optionsName: null)
            // The gate above decides: an anonymous scraper gets 401, not the sign-in page.
            .AllowAnonymous();
        return app;
    }

    /// <summary>A signed-in platform operator, or <c>Authorization: Bearer &lt;Metrics:Key&gt;</c> (SHA-256 of both, compared in constant time).</summary>
    internal static bool MayReadMetrics(HttpContext context, byte[]? keyHash)
    {
        if (context.User.IsInRole(PortalRoles.PlatformOperator)) return true;
        if (keyHash is null) return false;
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(given, keyHash);
    }
}
