using ClassExit.Portal.Infrastructure;
using Microsoft.AspNetCore.Mvc;

namespace ClassExit.Portal.Features.Retention;

/// <summary>The export download: a form post from the member page (cookie, antiforgery, enterprise admins), streamed to the browser.</summary>
public static class ChatExportEndpoint
{
    public static void MapChatExport(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost("/exports/chat", ExportAsync).RequireAuthorization(Policies.EnterpriseAdmin).WithName("ExportChat").ExcludeFromDescription()
            .WithBodyLimit(RequestBodyLimits.SmallJsonBytes);

    private static async Task<IResult> ExportAsync(HttpContext http, ChatExportService exports, [FromForm] long classId, [FromForm] long memberId,
        [FromForm] string? password, CancellationToken ct)
    {
        if (await exports.CheckAsync(classId, memberId, password, ct) is { } code)
            return ApiProblems.Problem(http, code);
        // The zip library writes a few small headers synchronously; allow it for this streamed download only.
        var bodyControl = http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpBodyControlFeature>();
        if (bodyControl is not null) bodyControl.AllowSynchronousIO = true;
        http.Response.ContentType = "application/zip";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"chat-export-class{classId}-member{memberId}.zip\"";
        await exports.WriteAsync(classId, memberId, password!, http.Response.Body, ct);
        return Results.Empty;
    }
}
