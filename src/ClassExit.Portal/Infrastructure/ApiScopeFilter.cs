using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Infrastructure.Authorization;

namespace ClassExit.Portal.Infrastructure;

/// <summary>Endpoint metadata: the scope an API key needs to call the endpoint (read by the filter, the tests and the README table).</summary>
public sealed record RequiredApiScope(string Scope);

/// <summary>
/// <c>.RequireScope(ApiScopes.Read)</c> on every <c>/api/v1</c> endpoint: a key without that scope gets 40302 (403), and the refusal
/// is audited through <see cref="PortalAuthorizer"/>. An endpoint without a scope fails <c>ApiScopeTests</c>.
/// </summary>
public static class ApiScopeFilter
{
    public static RouteHandlerBuilder RequireScope(this RouteHandlerBuilder endpoint, string scope)
    {
        if (!ApiScopes.IsKnown(scope)) throw new ArgumentException($"Unknown scope '{scope}'.", nameof(scope));
        return endpoint
            .WithMetadata(new RequiredApiScope(scope))
            .AddEndpointFilter(async (context, next) =>
            {
                var http = context.HttpContext;
                if (PortalPrincipal.From(http.User) is not { } user) return ApiProblems.Problem(http, ErrorCatalogue.Unauthenticated);
                var name = http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? http.Request.Path.ToString();
                var refused = await http.RequestServices.GetRequiredService<PortalAuthorizer>()
                    .DemandScopeAsync(user, scope, name, http.RequestAborted);
                if (refused is not { } code) return await next(context);
                var detail = ApiProblems.WantsEnglish(http)
                    ? $"This API key lacks the scope '{scope}' that {http.Request.Method} {http.Request.Path} needs; create a key with that scope in the portal (API keys)."
                    : $"该 API 密钥没有调用 {http.Request.Method} {http.Request.Path} 所需的权限范围 {scope}；请在门户（API 密钥）中创建带有该权限范围的密钥。";
                return ApiProblems.Problem(http, code, detail, extensions: new Dictionary<string, object?> { ["required_scope"] = scope });
            })
            .ProducesProblem(StatusCodes.Status403Forbidden);
    }
}
