using System.Text;
using ClassExit.Portal.Infrastructure;

namespace ClassExit.Portal.Features.Audit;

/// <summary>
/// <c>GET /exports/audit-checkpoint.json</c>: a signed checkpoint of the caller's organisation's audit chain, now (recorded);
/// <c>GET /exports/audit-checkpoint-key.pem</c>: the public key that checks it. ADR 0010.
/// </summary>
public static class AuditCheckpointEndpoint
{
    public static void MapAuditCheckpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/exports/audit-checkpoint.json", DownloadAsync).RequireAuthorization(Policies.AuditReader).WithName("AuditCheckpoint").ExcludeFromDescription();
        endpoints.MapGet("/exports/audit-checkpoint-key.pem", (AuditCheckpoints checkpoints) =>
                Results.File(Encoding.ASCII.GetBytes(checkpoints.PublicKeyPem), "application/x-pem-file", "classexit-audit-checkpoint-key.pem"))
            .RequireAuthorization(Policies.AuditReader).WithName("AuditCheckpointKey").ExcludeFromDescription();
    }

    private static async Task<IResult> DownloadAsync(HttpContext http, AuditSearchService search, CancellationToken ct)
    {
        var (refused, checkpoint) = await search.DownloadCheckpointAsync(ct);
        if (refused is { } code) return ApiProblems.Problem(http, code);
        return Results.File(Encoding.UTF8.GetBytes(checkpoint!.ToJson() + "\n"), "application/json",
            $"audit-checkpoint-org{checkpoint.OrganisationId}-seq{checkpoint.Sequence}.json");
    }
}
