using System.Globalization;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Infrastructure;
using CsvHelper;

namespace ClassExit.Portal.Features.Audit;

/// <summary>
/// CSV export of a filtered audit search, streamed row by row to the response (memory does not grow with the row count); audited.
/// </summary>
public static class AuditExportEndpoint
{
    public static void MapAuditExport(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/exports/audit.csv", ExportAsync).RequireAuthorization(Policies.AuditReader).WithName("ExportAudit").ExcludeFromDescription();

    private static async Task ExportAsync(HttpContext http, AuditSearchService search, string? actor, long? member, long? @class, string? action,
        int? code, bool? security, DateOnly? from, DateOnly? to, AuditOutcome? outcome,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "actor_member")] long? actorMember, string? text, CancellationToken ct)
    {
        if (await search.AuthorizeExportAsync(ct) is { } refused)
        {
            await ApiProblems.Problem(http, refused).ExecuteAsync(http);
            return;
        }
        var filter = new AuditFilter(actor, member, @class, action, code, security == true, from, to, outcome, actorMember, text);
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"audit-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv\"";
        await http.Response.Body.WriteAsync(new byte[] { 0xEF, 0xBB, 0xBF }, ct);
        var rows = 0;
        await using (var csv = CsvWriter.Create(http.Response.Body, null, leaveOpen: true))
        {
            await csv.WriteRecordAsync(["id", "sequence", "occurred_at_utc", "action", "outcome", "code", "actor", "target_type", "target_id", "class_id",
                "member_id", "security_event", "correlation_id", "hash", "details"], ct);
            await foreach (var r in search.StreamAsync(filter, ct))
            {
                await csv.WriteRecordAsync([r.Id.ToString(CultureInfo.InvariantCulture), r.Sequence?.ToString(CultureInfo.InvariantCulture) ?? "",
                    r.OccurredAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), r.Action, r.Outcome.ToString(), r.Code?.ToString(CultureInfo.InvariantCulture) ?? "",
                    r.ActorName ?? "", r.TargetType ?? "", r.TargetId ?? "", r.ClassId?.ToString(CultureInfo.InvariantCulture) ?? "",
                    r.MemberId?.ToString(CultureInfo.InvariantCulture) ?? "", r.IsSecurityEvent ? "1" : "0", r.CorrelationId, r.Hash ?? "", r.Details ?? ""], ct);
                rows++;
            }
            await csv.FlushAsync(ct);
        }
        await search.RecordExportAsync(filter, rows, CancellationToken.None);
    }
}
