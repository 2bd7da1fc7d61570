using System.ComponentModel;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ClassExit.Portal.Features.Classes;

public sealed record ClassItem(long ClassId, string Name, ClassStatus Status, long OwnerMemberId, int MemberCount,
    Classification Classification, DateOnly TermEndsOn, bool ExitLocked);

public sealed record ClassMemberItem(long MemberId, string DisplayName, ClassRole ClassRole, MembershipState State);

public sealed record ListResponse<T>(IReadOnlyList<T> Items, int Total);

/// <summary><c>GET /api/v1/classes</c> and <c>GET /api/v1/classes/{class_id}/members</c> (api.md).</summary>
public static class ClassesApi
{
    public static RouteGroupBuilder MapClassesApi(this RouteGroupBuilder api)
    {
        api.MapGet("/classes", ListClasses).WithName("ListClasses").WithSummary("The organisation's classes, paged")
            .RequireApiRateLimit(ApiRateLimit.Reads)
            .RequireScope(ApiScopes.Read);
        api.MapGet("/classes/{classId:long}/members", ListMembers).WithName("ListClassMembers").WithSummary("Members of a class, paged")
            .RequireApiRateLimit(ApiRateLimit.Reads)
            .RequireScope(ApiScopes.Read);
        return api;
    }

    public static async Task<Results<Ok<ListResponse<ClassItem>>, ProblemHttpResult>> ListClasses(HttpContext http, ClassesService service,
        string? search, [Description("1-based")] int? page, int? page_size, CancellationToken ct)
    {
        var request = new PageRequest(page ?? 1, page_size ?? 50);
        if (!request.IsValid)
            return ApiProblems.Problem(http, ErrorCatalogue.MalformedRequest, $"page must be ≥ 1 and page_size between 1 and {PageRequest.MaxPageSize}.");
        var result = await service.SearchAsync(search, request, ct);
        return TypedResults.Ok(new ListResponse<ClassItem>(result.Items.Select(r => new ClassItem(r.ClassId, r.Name, r.Status, r.OwnerMemberId,
            r.MemberCount, r.Classification, r.TermEndsOn, r.ExitLocked)).ToList(), result.Total));
    }

    public static async Task<Results<Ok<ListResponse<ClassMemberItem>>, ProblemHttpResult>> ListMembers(HttpContext http, ClassesService service,
        long classId, int? page, int? page_size, CancellationToken ct)
    {
        var request = new PageRequest(page ?? 1, page_size ?? 50);
        if (!request.IsValid)
            return ApiProblems.Problem(http, ErrorCatalogue.MalformedRequest, $"page must be ≥ 1 and page_size between 1 and {PageRequest.MaxPageSize}.");
        var result = await service.GetMembersAsync(classId, request, ct: ct);
        if (result is null) return ApiProblems.Problem(http, ErrorCatalogue.NotFound);
        return TypedResults.Ok(new ListResponse<ClassMemberItem>(result.Items.Select(r => new ClassMemberItem(r.MemberId, r.DisplayName,
            r.ClassRole, r.State)).ToList(), result.Total));
    }
}
