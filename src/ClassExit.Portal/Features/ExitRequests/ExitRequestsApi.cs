using System.Globalization;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Exits.Policy;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ClassExit.Portal.Features.ExitRequests;

public sealed record HandoverItem(long? DutyId, long? ToMemberId, DutyKind? Kind = null);

/// <summary>Body of <c>POST /api/v1/classes/{class_id}/exits</c>.</summary>
public sealed record ClientExitBody(long? MemberId, string? Channel, string? Verification, IReadOnlyList<HandoverItem>? Handover);

public sealed record ExitAccepted(long ExitRequestId, string Status);

public sealed record ExitRequestResponse(long ExitRequestId, long ClassId, long MemberId, string Status, int? Code, DateTimeOffset CreatedAt, DateTimeOffset? DecidedAt);

/// <summary>The client exit API (api.md): a member leaves from the mobile or PC client through the platform's back end.</summary>
public static class ExitRequestsApi
{
    public static RouteGroupBuilder MapExitRequestsApi(this RouteGroupBuilder api)
    {
        api.MapPost("/classes/{classId:long}/exits", PostExit).WithName("PostClientExit").WithSummary("A member leaves a class from a client")
            .RequireApiRateLimit(ApiRateLimit.ClientExits)
            .RequireScope(ApiScopes.ClientExits).WithBodyLimit(RequestBodyLimits.SmallJsonBytes);
        api.MapGet("/exits/{exitRequestId:long}", GetExit).WithName("GetExitRequest").WithSummary("An exit request's state")
            .RequireApiRateLimit(ApiRateLimit.Reads)
            .RequireScope(ApiScopes.Read);
        return api;
    }

    public static async Task<Results<Ok<ExitAccepted>, Accepted<ExitAccepted>, ProblemHttpResult>> PostExit(HttpContext http, ExitService exits,
        ExitQueries queries, long classId, [FromBody] ClientExitBody? body,
        [FromHeader(Name = "X-Client-Version")] string? clientVersion, [FromHeader(Name = "X-Device-Id")] string? deviceId,
        [FromHeader(Name = "X-Device-Time")] string? deviceTime, CancellationToken ct)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(clientVersion) || !ClientVersion.TryParse(clientVersion, out _)) problems.Add("X-Client-Version must be a version like 3.1.10");
        if (string.IsNullOrWhiteSpace(deviceId) || deviceId.Length > 64) problems.Add("X-Device-Id is required (at most 64 characters)");
        if (!TryParseRfc3339(deviceTime, out var time)) problems.Add("X-Device-Time must be an RFC 3339 date-time with offset");
        if (body is null) problems.Add("a JSON body is required");
        else
        {
            if (body.MemberId is null or <= 0) problems.Add("member_id is required");
            if (body.Channel is not ("mobile" or "pc")) problems.Add("channel must be mobile or pc");
            if (body.Verification is not ("biometric" or "sms")) problems.Add("verification must be biometric or sms");
            // Guide §2: mobile verifies by fingerprint/face, PC by SMS.
            if (body.Channel == "mobile" && body.Verification == "sms" || body.Channel == "pc" && body.Verification == "biometric")
                problems.Add("mobile exits verify by biometric, PC exits by sms");
            if (body.Handover?.Any(h => h.DutyId is null or <= 0 || h.ToMemberId is null or <= 0) == true) problems.Add("each handover item needs duty_id and to_member_id");
            if (body.Handover?.Count > 200) problems.Add("at most 200 handover items");
        }
        if (problems.Count > 0) return ApiProblems.Problem(http, ErrorCatalogue.MalformedRequest, string.Join("; ", problems));

        var plan = (body!.Handover ?? []).Select(h => new PlannedHandover(h.Kind ?? DutyKind.Assignment, h.DutyId!.Value, h.ToMemberId!.Value)).ToList();
        plan = await queries.ResolveDutyKindsAsync(classId, body.MemberId!.Value, body.Handover ?? [], plan, ct);
        var command = new ExitCommand(classId, body.MemberId!.Value, ExitKind.SelfExit, body.Channel == "mobile" ? ExitChannel.Mobile : ExitChannel.Pc,
            body.Verification == "biometric" ? VerificationMethod.Biometric : VerificationMethod.Sms, plan,
            new ClientRequestInfo(clientVersion!, deviceId!, time));
        var result = await exits.RequestAsync(command, ct);
        return ToHttp(http, result);
    }

    internal static Results<Ok<ExitAccepted>, Accepted<ExitAccepted>, ProblemHttpResult> ToHttp(HttpContext http, ExitCommandResult result)
    {
        if (result.Decision.IsRefused)
        {
            var d = result.Decision;
            var extensions = d.ExitPossibleFrom is { } from
                ? new Dictionary<string, object?> { ["exit_possible_from"] = from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) }
                : null;
            var detail = d.Reasons[0].Detail;
            return ApiProblems.Problem(http, d.PrimaryCode!.Value, detail, d.Reasons.Count > 1 ? d.Reasons.Select(r => r.Code) : null, extensions);
        }
        var accepted = new ExitAccepted(result.ExitRequestId!.Value, result.Status == ExitRequestStatus.Completed ? "completed" : "pending_approval");
        return result.Status == ExitRequestStatus.Completed
            ? TypedResults.Ok(accepted)
            : TypedResults.Accepted($"/api/v1/exits/{accepted.ExitRequestId}", accepted);
    }

    public static async Task<Results<Ok<ExitRequestResponse>, ProblemHttpResult>> GetExit(HttpContext http, ExitQueries queries, long exitRequestId, CancellationToken ct)
    {
        var found = await queries.GetAsync(exitRequestId, ct);
        if (found is null) return ApiProblems.Problem(http, ErrorCatalogue.NotFound);
        var r = found.Value.Row;
        return TypedResults.Ok(new ExitRequestResponse(r.ExitRequestId, r.ClassId, r.MemberId, StatusName(r.Status), r.Code, r.CreatedAt, r.DecidedAt));
    }

    public static string StatusName(ExitRequestStatus status) => status switch
    {
        ExitRequestStatus.PendingApproval => "pending_approval",
        ExitRequestStatus.Approved => "approved",
        ExitRequestStatus.Rejected => "rejected",
        ExitRequestStatus.Cancelled => "cancelled",
        ExitRequestStatus.Completed => "completed",
        _ => "failed",
    };

    private static bool TryParseRfc3339(string? text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text) || text.Length < 20 || (text[10] != 'T' && text[10] != 't')) return false;
        // An RFC 3339 time always carries its offset (Z or ±hh:mm).
        var tail = text[19..];
        if (!(tail.EndsWith('Z') || tail.EndsWith('z') || System.Text.RegularExpressions.Regex.IsMatch(tail, @"[+-]\d{2}:\d{2}$"))) return false;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out value);
    }
}
