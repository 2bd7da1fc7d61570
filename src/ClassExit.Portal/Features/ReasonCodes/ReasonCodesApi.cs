using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ClassExit.Portal.Features.ReasonCodes;

public sealed record ReasonCodeItem(string Code, string Label);

public sealed record ReasonCodesResponse(IReadOnlyList<ReasonCodeItem> Items);

/// <summary><c>GET /api/v1/reason-codes</c> (api.md).</summary>
public static class ReasonCodesApi
{
    public static RouteGroupBuilder MapReasonCodesApi(this RouteGroupBuilder api)
    {
        api.MapGet("/reason-codes", GetReasonCodes).WithName("GetReasonCodes").WithSummary("The organisation's active reason codes")
            .RequireApiRateLimit(ApiRateLimit.Reads)
            .RequireScope(ApiScopes.Read);
        return api;
    }

    public static async Task<Ok<ReasonCodesResponse>> GetReasonCodes(ReasonCodesService reasonCodes, CancellationToken ct) =>
        TypedResults.Ok(new ReasonCodesResponse((await reasonCodes.ActiveAsync(ct)).Select(r => new ReasonCodeItem(r.Code, r.Label)).ToList()));
}
