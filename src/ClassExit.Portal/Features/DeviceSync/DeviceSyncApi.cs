using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ClassExit.Portal.Features.DeviceSync;

public sealed record SyncAckBody(long? MembershipVersion);

public sealed record SyncAckResponse(long MembershipVersion, bool ResyncRequired);

/// <summary><c>GET /api/v1/members/{member_id}/devices</c> and <c>POST /api/v1/devices/{device_id}/sync-ack</c> (api.md).</summary>
public static class DeviceSyncApi
{
    public static RouteGroupBuilder MapDeviceSyncApi(this RouteGroupBuilder api)
    {
        api.MapGet("/members/{memberId:long}/devices", GetDevices).WithName("GetMemberDevices").WithSummary("A member's devices and membership version")
            .RequireApiRateLimit(ApiRateLimit.Reads)
            .RequireScope(ApiScopes.Devices);
        api.MapPost("/devices/{deviceId}/sync-ack", PostSyncAck).WithName("PostSyncAck").WithSummary("A device acknowledges the membership state it applied")
            .RequireApiRateLimit(ApiRateLimit.Reads)
            .RequireScope(ApiScopes.Devices).WithBodyLimit(RequestBodyLimits.SmallJsonBytes);
        return api;
    }

    public static async Task<Results<Ok<MemberDevices>, ProblemHttpResult>> GetDevices(HttpContext http, DeviceSyncService sync, long memberId, CancellationToken ct)
    {
        var devices = await sync.DevicesAsync(memberId, ct);
        return devices is null ? ApiProblems.Problem(http, ErrorCatalogue.NotFound) : TypedResults.Ok(devices);
    }

    public static async Task<Results<Ok<SyncAckResponse>, ProblemHttpResult>> PostSyncAck(HttpContext http, DeviceSyncService sync, string deviceId,
        [FromBody] SyncAckBody? body, CancellationToken ct)
    {
        if (body?.MembershipVersion is not { } version || version < 0)
            return ApiProblems.Problem(http, ErrorCatalogue.MalformedRequest, "membership_version (a non-negative integer) is required");
        var result = await sync.AcknowledgeAsync(deviceId, version, ct);
        if (result.Code is { } code)
            return ApiProblems.Problem(http, code, code == ErrorCatalogue.MalformedRequest
                ? $"membership_version {version} is newer than the server's {result.MembershipVersion}" : null);
        return TypedResults.Ok(new SyncAckResponse(result.MembershipVersion, result.ResyncRequired));
    }
}
