using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ClassExit.Portal.Tests.Features.Webhooks;

/// <summary>A real HTTP receiver (Kestrel on 127.0.0.1, a free port) that records every request and answers with scripted statuses.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public sealed record Received(IHeaderDictionary Headers, string Body, DateTimeOffset At);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _script = new();

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>Status once the script is used up.</summary>
    public int DefaultStatus { get; set; } = 204;

    public string Url { get; private set; } = "";

    private WebhookReceiver()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/hook", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var headers = new HeaderDictionary();
            foreach (var (k, v) in context.Request.Headers) headers[k] = v;
            Requests.Enqueue(new Received(headers, body, DateTimeOffset.UtcNow));
            return Results.StatusCode(_script.TryDequeue(out var status) ? status : DefaultStatus);
        });
    }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver();
        await receiver._app.StartAsync();
        var address = receiver._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver.Url = address.TrimEnd('/') + "/hook";
        return receiver;
    }

    /// <summary>The next answers, in order.</summary>
    public void Answer(params int[] statuses)
    {
        foreach (var s in statuses) _script.Enqueue(s);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
