using System.ComponentModel.DataAnnotations;

namespace ClassExit.Portal.Infrastructure.Observability;

/// <summary>The <c>OpenTelemetry</c> section: where traces, metrics and logs go besides the <c>/metrics</c> endpoint.</summary>
public sealed class OpenTelemetryOptions
{
    public const string SectionName = "OpenTelemetry";

    /// <summary>OTLP collector, e.g. <c>http://otel-collector:4317</c> (gRPC) or <c>http://otel-collector:4318</c> with
    /// <see cref="Protocol"/> <c>HttpProtobuf</c>. Unset: nothing is exported over OTLP.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary><c>Grpc</c> (default) or <c>HttpProtobuf</c>.</summary>
    public OpenTelemetry.Exporter.OtlpExportProtocol Protocol { get; set; } = OpenTelemetry.Exporter.OtlpExportProtocol.Grpc;

    /// <summary>The <c>service.name</c> resource attribute.</summary>
    [Required]
    public string ServiceName { get; set; } = "ClassExit.Portal";
}

/// <summary>The <c>Metrics</c> section: the Prometheus-format endpoint and the portal's own gauges.</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>
    /// A scraper's key, sent as <c>Authorization: Bearer &lt;key&gt;</c> (compared in constant time). Unset: only signed-in platform
    /// operators read <c>/metrics</c>. At least 16 characters.
    /// </summary>
    [MinLength(16)]
    public string? Key { get; set; }

    /// <summary>How old the gauges read from the database may be (approvals waiting, stale devices): one read per this many seconds at
    /// most, however often the endpoint is scraped.</summary>
    [Range(5, 3600)]
    public int GaugeRefreshSeconds { get; set; } = 30;
}
