using System.Text.Json;
using System.Text.Json.Serialization;
using ClassExit.Portal.Domain.Errors;

namespace ClassExit.Portal.Infrastructure;

public static class PortalApi
{
    public static IServiceCollection AddPortalApi(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        });
        services.AddProblemDetails();
        // Binding failures throw, so that MalformedRequestMiddleware can answer them with code 40002.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddOpenApi("v1");
        services.AddHealthChecks();
        // Chinese text goes out as text, not as &#x...; entities (a third of the page size).
        services.AddWebEncoders(o => o.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
        return services;
    }

    public static void MapPortalApi(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();

        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api"), branch => branch.Use(MalformedRequestMiddleware));
    }

    /// <summary>
    /// The REST surface's group, <c>/api/v1</c>, API clients only: each feature maps its endpoints on it
    /// (<see cref="Features.IPortalFeature.MapEndpoints"/>).
    /// </summary>
    public static RouteGroupBuilder ApiGroup(this IEndpointRouteBuilder app) =>
        app.MapGroup("/api/v1").RequireAuthorization(Policies.ApiClient).WithTags("v1");

    /// <summary>
    /// Model-binding failures (bad JSON, wrong types, missing body) become 40002 problems, not the framework's bare 400.
    /// </summary>
    private static async Task MalformedRequestMiddleware(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted && ex.StatusCode != StatusCodes.Status413PayloadTooLarge)
        {
            await ApiProblems.Problem(context, ErrorCatalogue.MalformedRequest, ex.Message).ExecuteAsync(context);
        }
        // A body over its limit is answered by RequestBodyLimits (41301).
        catch (Exception ex) when (!context.Response.HasStarted && ex is not OperationCanceledException
                                   && ex is not BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge })
        {
            // Never a stack trace to an API caller: log it, answer with the trace id.
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("ClassExit.Portal.Api")
                .LogError(ex, "Unhandled API error {TraceId}", context.TraceIdentifier);
            await ApiProblems.Problem(context, ErrorCatalogue.InternalError).ExecuteAsync(context);
        }
    }
}
