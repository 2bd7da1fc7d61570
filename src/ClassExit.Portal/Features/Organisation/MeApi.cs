using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Organisation;

public sealed record MeResponse(long OrganisationId, string OrganisationName, string KeyName, long OwnerMemberId);

/// <summary><c>GET /api/v1/me</c>: who the API key speaks for.</summary>
public static class MeApi
{
    public static RouteGroupBuilder MapMeApi(this RouteGroupBuilder api)
    {
        api.MapGet("/me", GetMe).WithName("GetMe").WithSummary("Who the API key speaks for")
            .RequireApiRateLimit(ApiRateLimit.Reads)
            .RequireScope(ApiScopes.Read);
        return api;
    }

    public static async Task<Ok<MeResponse>> GetMe(TenantDb tenantDb, CancellationToken ct)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        var me = await db.ApiKeys.AsNoTracking().Where(k => k.Id == user.ApiKeyId)
            .Join(db.Organisations, k => k.OrganisationId, o => o.Id, (k, o) => new MeResponse(o.Id, o.Name, k.Name, k.OwnerMemberId))
            .SingleAsync(ct);
        return TypedResults.Ok(me);
    }
}
