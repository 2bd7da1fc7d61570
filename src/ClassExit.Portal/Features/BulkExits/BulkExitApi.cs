using System.Globalization;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ClassExit.Portal.Features.BulkExits;

public sealed record QuotaResponse(int Limit, int Used, int Remaining, DateTimeOffset ResetsAt);

/// <summary><c>POST /api/v1/exits/batch</c>, <c>GET /api/v1/exits/batch/{id}</c>, <c>GET /api/v1/quota</c> (api.md).</summary>
public static class BulkExitApi
{
    public static RouteGroupBuilder MapBulkExitApi(this RouteGroupBuilder api)
    {
        api.MapPost("/exits/batch", PostBatch).WithName("PostBatchExit").WithSummary("HR bulk exit")
            .RequireBatchRateLimits<BatchRequest>(body => body.DryRun == true)
            .RequireScope(ApiScopes.BatchExits).WithBodyLimit(RequestBodyLimits.BatchJsonBytes);
        api.MapGet("/exits/batch/{batchId:long}", GetBatch).WithName("GetBatchExit").WithSummary("A bulk exit's status, progress and results")
            .RequireApiRateLimit(ApiRateLimit.Reads)
            .RequireScope(ApiScopes.BatchExits);
        api.MapGet("/quota", GetQuota).WithName("GetQuota").WithSummary("Today's bulk-exit quota")
            .RequireApiRateLimit(ApiRateLimit.Reads)
            .RequireScope(ApiScopes.BatchExits);
        return api;
    }

    public static async Task<IResult> PostBatch(HttpContext http, BatchExitService batches, [FromBody] BatchRequest? body,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, CancellationToken ct)
    {
        var outcome = await batches.RunAsync(body, idempotencyKey, ct);
        // Every batch response carries the rate-limit headers, refusals and replays included.
        http.Response.Headers["X-RateLimit-Limit"] = outcome.Quota.Limit.ToString(CultureInfo.InvariantCulture);
        http.Response.Headers["X-RateLimit-Remaining"] = outcome.Quota.Remaining.ToString(CultureInfo.InvariantCulture);
        if (outcome.RetryAfterSeconds is { } retry) http.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);

        if (outcome.IsReplay)
        {
            http.Response.Headers["Idempotent-Replayed"] = "true";
            if (outcome.HttpStatus == StatusCodes.Status202Accepted && StoredBatchId(outcome.StoredJson!) is { } stored)
                http.Response.Headers.Location = BatchLocation(stored);
            return Results.Content(outcome.StoredJson, "application/json", System.Text.Encoding.UTF8, outcome.HttpStatus);
        }
        if (outcome.Code is { } code)
            return ApiProblems.Problem(http, code, outcome.Detail);
        if (outcome.Accepted is { } accepted)
            return TypedResults.Accepted(BatchLocation(accepted.BatchId), accepted);
        return TypedResults.Ok(outcome.Response);
    }

    /// <summary>Results per page of <c>GET /exits/batch/{batch_id}</c>: up to the largest synchronous answer's 1,000 members.</summary>
    public const int MaxResultsPageSize = 1000;

    public static async Task<IResult> GetBatch(HttpContext http, BatchQueries queries, long batchId, int? page, int? page_size, CancellationToken ct)
    {
        var p = page ?? 1;
        var size = page_size ?? MaxResultsPageSize;
        if (p < 1 || size is < 1 or > MaxResultsPageSize)
            return ApiProblems.Problem(http, ErrorCatalogue.MalformedRequest, $"page must be ≥ 1 and page_size between 1 and {MaxResultsPageSize}.");
        var status = await queries.StatusAsync(batchId, p, size, ct);
        return status is null ? ApiProblems.Problem(http, ErrorCatalogue.NotFound) : TypedResults.Ok(status);
    }

    private static string BatchLocation(long batchId) => $"/api/v1/exits/batch/{batchId.ToString(CultureInfo.InvariantCulture)}";

    private static long? StoredBatchId(string json)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty("batch_id", out var id) && id.TryGetInt64(out var value) ? value : null;
    }

    public static async Task<Ok<QuotaResponse>> GetQuota(QuotaService quota, CancellationToken ct)
    {
        var q = await quota.GetAsync(ct);
        return TypedResults.Ok(new QuotaResponse(q.Limit, q.Used, q.Remaining, q.ResetsAt));
    }
}
