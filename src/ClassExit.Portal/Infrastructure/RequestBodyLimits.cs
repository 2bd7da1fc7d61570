using ClassExit.Portal.Domain.Errors;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace ClassExit.Portal.Infrastructure;

/// <summary>An endpoint's own request body limit, in bytes (read by <see cref="RequestBodyLimits"/> and by Kestrel's feature).</summary>
public sealed record BodySizeLimit(long? MaxRequestBodySize) : IRequestSizeLimitMetadata;

/// <summary>
/// Request body limits: a low global limit (<see cref="DefaultBytes"/>, Kestrel's <c>MaxRequestBodySize</c> instead of its 30 MB)
/// and per-endpoint limits (<see cref="WithBodyLimit{TBuilder}"/>). A body over its limit is answered with an RFC 9457 problem
/// carrying 41301 (HTTP 413), never Kestrel's bare 413: at once when <c>Content-Length</c> says so, else when reading passes the
/// limit (Kestrel's own check, and a counting wrapper where the server has none, as in tests). Blazor Server's SignalR messages
/// have their own limit (<c>MaximumReceiveMessageSize</c>, 32 KB by default), far below this one.
/// </summary>
public static class RequestBodyLimits
{
    public const string SectionName = "Limits";

    /// <summary>The default for every endpoint without its own limit: 1 MB (<c>Limits:MaxRequestBodyBytes</c>).</summary>
    public const long DefaultBytes = 1024 * 1024;

    /// <summary>Client exit and sync-ack bodies: a few ids and short strings.</summary>
    public const long SmallJsonBytes = 16 * 1024;

    /// <summary>A batch: 100 class ids and 1,000 member ids of up to 19 digits each, indented, with room to spare.</summary>
    public const long BatchJsonBytes = 128 * 1024;

    public static long ConfiguredDefault(IConfiguration configuration) =>
        configuration.GetValue<long?>($"{SectionName}:MaxRequestBodyBytes") ?? DefaultBytes;

    /// <summary>Kestrel's global limit, from configuration.</summary>
    public static WebApplicationBuilder AddRequestBodyLimits(this WebApplicationBuilder builder)
    {
        var limit = ConfiguredDefault(builder.Configuration);
        builder.WebHost.ConfigureKestrel(o => o.Limits.MaxRequestBodySize = limit);
        return builder;
    }

    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long bytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new BodySizeLimit(bytes));

    /// <summary>Applies the endpoint's limit (routing has already chosen the endpoint) and answers oversized bodies with 41301.</summary>
    public static IApplicationBuilder UseRequestBodyLimits(this IApplicationBuilder app)
    {
        var fallback = ConfiguredDefault(app.ApplicationServices.GetRequiredService<IConfiguration>());
        return app.Use(async (context, next) =>
        {
            var limit = context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize ?? fallback;
            if (context.Request.ContentLength is { } declared && declared > limit)
            {
                await TooLargeAsync(context, limit);
                return;
            }
            var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
            if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = limit;
            LimitedBody? counted = null;
            if (context.Request.ContentLength is null && !context.WebSockets.IsWebSocketRequest)
                context.Request.Body = counted = new LimitedBody(context.Request.Body, limit);
            try
            {
                await next(context);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge && !context.Response.HasStarted)
            {
                await TooLargeAsync(context, limit);
                return;
            }
            // Minimal APIs treat a failed body read as an I/O error and answer a bare 400: say what it was.
            if (counted is { Exceeded: true } && !context.Response.HasStarted)
            {
                context.Response.Clear();
                await TooLargeAsync(context, limit);
            }
        });
    }

    private static Task TooLargeAsync(HttpContext context, long limit)
    {
        // The rest of the body is not read: the connection is closed after this answer.
        context.Response.Headers.Connection = "close";
        var english = ApiProblems.WantsEnglish(context);
        return ApiProblems.Problem(context, ErrorCatalogue.RequestBodyTooLarge,
            english ? $"The request body may be at most {limit} bytes here." : $"此处请求正文最多 {limit} 字节。",
            extensions: new Dictionary<string, object?> { ["max_bytes"] = limit }).ExecuteAsync(context);
    }

    /// <summary>Counts what is read of a body of unknown length and throws as Kestrel does once it passes the limit.</summary>
    private sealed class LimitedBody(Stream inner, long limit) : Stream
    {
        private long _read;

        /// <summary>Reading passed the limit (here, or in the server's own check below).</summary>
        public bool Exceeded { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            try
            {
                return Count(inner.Read(buffer, offset, count));
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                Exceeded = true;
                throw;
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return Count(await inner.ReadAsync(buffer, cancellationToken));
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                Exceeded = true;
                throw;
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read)
        {
            _read += read;
            if (_read <= limit) return read;
            Exceeded = true;
            throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
        }
    }
}
