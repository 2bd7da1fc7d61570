using System.Globalization;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Infrastructure;

namespace ClassExit.Portal.Features.Audit;

/// <summary>
/// CSV export of a filtered audit search, streamed row by row to the response (memory does not grow with the row count). Audited
/// before the first byte leaves (<c>audit.export_started</c>) and after (<c>audit.exported</c> or <c>audit.export_aborted</c>, with
/// rows and bytes). Cells are written with <see cref="PortalCsv.Options"/> (formula-leading text escaped, UTF-8 with BOM).
/// </summary>
public static class AuditExportEndpoint
{
    public static void MapAuditExport(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/exports/audit.csv", ExportAsync).RequireAuthorization(Policies.AuditReader).WithName("ExportAudit").ExcludeFromDescription();

    private static async Task ExportAsync(HttpContext http, AuditSearchService search, TimeProvider clock, string? actor, long? member, long? @class,
        string? action, int? code, bool? security, DateOnly? from, DateOnly? to, AuditOutcome? outcome,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "actor_member")] long? actorMember, string? text, CancellationToken ct)
    {
        var filter = new AuditFilter(actor, member, @class, action, code, security == true, from, to, outcome, actorMember, text);
        var (refused, trail) = await search.StartExportAsync(filter, ct);
        if (refused is { } refusal)
        {
            await ApiProblems.Problem(http, refusal).ExecuteAsync(http);
            return;
        }
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"audit-{clock.GetUtcNow():yyyyMMdd-HHmmss}.csv\"";
        var body = new CountingStream(http.Response.Body);
        var rows = 0;
        try
        {
            await using (var csv = PortalCsv.Create(body))
            {
                await csv.WriteRecordAsync(["id", "sequence", "occurred_at_utc", "action", "outcome", "code", "actor", "target_type", "target_id", "class_id",
                    "member_id", "security_event", "correlation_id", "hash", "details"], ct);
                await foreach (var r in search.StreamAsync(filter, ct))
                {
                    csv.WriteField(r.Id);
                    csv.WriteField(r.Sequence);
                    csv.WriteField(r.OccurredAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                    csv.WriteField(r.Action);
                    csv.WriteField(r.Outcome.ToString());
                    csv.WriteField(r.Code);
                    csv.WriteField(r.ActorName);
                    csv.WriteField(r.TargetType);
                    csv.WriteField(r.TargetId);
                    csv.WriteField(r.ClassId);
                    csv.WriteField(r.MemberId);
                    csv.WriteField(r.IsSecurityEvent ? 1 : 0);
                    csv.WriteField(r.CorrelationId);
                    csv.WriteField(r.Hash);
                    csv.WriteField(r.Details);
                    await csv.EndRecordAsync(ct);
                    rows++;
                }
                await csv.FlushAsync(ct);
            }
        }
        catch (Exception ex)
        {
            await trail!.AbortedAsync(rows, body.BytesWritten, ExportAuditTrail.ReasonOf(ex));
            if (http.RequestAborted.IsCancellationRequested) return;
            throw;
        }
        await trail!.CompletedAsync(rows, body.BytesWritten);
    }
}
