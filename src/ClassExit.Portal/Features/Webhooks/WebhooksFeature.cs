using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Sockets;
using ClassExit.Portal.Domain.Webhooks;
using ClassExit.Portal.Features.Notifications;
using Hangfire;

namespace ClassExit.Portal.Features.Webhooks;

/// <summary>The <c>Webhooks</c> configuration section.</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>Cron of the dispatcher that sends every due delivery (each commit that staged one also enqueues it at once).</summary>
    [Required]
    public string DispatchCron { get; set; } = "* * * * *";

    /// <summary>How long one attempt may take before it counts as failed.</summary>
    [Range(1, 120)]
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>Allow <c>http://</c> endpoint URLs. Null: only in Development and the demo; https everywhere else.</summary>
    public bool? AllowHttp { get; set; }

    /// <summary>Deliveries one dispatcher pass claims at a time.</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 50;
}

/// <summary>Issue 17, webhooks: signed deliveries of the portal's events to each organisation's own endpoints.</summary>
public sealed class WebhooksFeature : IPortalFeature
{
    /// <summary>Named HTTP clients: one refuses internal addresses when it connects, one (for endpoints an admin allowed) does not.</summary>
    public const string Client = "webhooks";
    public const string InternalClient = "webhooks-internal";

    public void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<WebhookOptions>(WebhookOptions.SectionName);
        services.AddDataProtection();
        services.AddSingleton<WebhookSecrets>();
        services.AddSingleton<WebhookUrlPolicy>();
        services.AddSingleton<WebhookKick>();
        services.AddSingleton<IPortalEventSink, WebhookEventSink>();
        services.AddTransient<WebhookDispatcher>();
        services.AddScoped<WebhooksService>();
        AddClient(services, Client, allowInternal: false);
        AddClient(services, InternalClient, allowInternal: true);
    }

    public void ScheduleJobs(IServiceProvider services, IRecurringJobManager jobs) =>
        jobs.Every<WebhookDispatcher>(WebhookDispatcher.JobId, services.Options<WebhookOptions>().DispatchCron, j => j.RunAsync(CancellationToken.None));

    private static void AddClient(IServiceCollection services, string name, bool allowInternal) =>
        services.AddHttpClient(name, (sp, c) =>
            {
                c.Timeout = TimeSpan.FromSeconds(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<WebhookOptions>>().Value.TimeoutSeconds);
                c.DefaultRequestHeaders.UserAgent.ParseAdd("ClassExit.Portal-Webhooks/1");
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // Redirects are not followed and no proxy is used: the address connected to is the one checked below.
                AllowAutoRedirect = false,
                UseProxy = false,
                ConnectTimeout = TimeSpan.FromSeconds(10),
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                ConnectCallback = (context, ct) => ConnectAsync(context, allowInternal, ct),
            });

    /// <summary>
    /// Resolves the host at connection time and refuses an internal address then (DNS rebinding: the name may have resolved to a
    /// public address when the endpoint was saved).
    /// </summary>
    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowInternal, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        if (addresses.Length == 0) throw new WebhookAddressRefusedException($"{host} does not resolve");
        if (!allowInternal && addresses.FirstOrDefault(InternalAddresses.IsInternal) is { } bad)
            throw new WebhookAddressRefusedException($"{host} resolves to the internal address {bad}");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>The connection was refused before it was made: the endpoint's host resolves to an internal address.</summary>
public sealed class WebhookAddressRefusedException(string message) : IOException(message);
