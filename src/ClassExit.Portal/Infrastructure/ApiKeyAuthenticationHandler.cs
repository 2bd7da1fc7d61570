using System.Security.Claims;
using System.Text.Encodings.Web;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Members;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Infrastructure;

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c>: looks the key up by its SHA-256 hash. Revoked keys fail, and so does a key whose owner
/// no longer has HR permission or has left the organisation: a key speaks for its owner, and stops when the owner's power does.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IDbContextFactory<PortalDbContext> dbFactory, TimeProvider clock)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var secret = header["Bearer ".Length..].Trim();
        if (secret.Length == 0) return AuthenticateResult.Fail("Empty API key.");

        var hash = ApiKey.Hash(secret);
        await using var db = (await dbFactory.CreateDbContextAsync(Context.RequestAborted)).ForSystem();
        var key = await (from k in db.ApiKeys.AsNoTracking()
                         join m in db.Members on k.OwnerMemberId equals m.Id
                         where k.KeyHash == hash && k.RevokedAt == null
                         select new { k.Id, k.OrganisationId, k.OwnerMemberId, k.Name, k.Scopes, OwnerActive = m.HasHrPermission && m.Resignation != ResignationState.Completed })
            .SingleOrDefaultAsync(Context.RequestAborted);
        if (key is null) return AuthenticateResult.Fail("Unknown or revoked API key.");
        if (!key.OwnerActive) return AuthenticateResult.Fail("The key's owner no longer has HR permission or has left.");

        var now = clock.GetUtcNow();
        // Last-used time for the key list, at minute precision so that busy integrations do not write on every call.
        // A bookkeeping write, not a state change worth an audit entry.
        var staleBefore = now.AddMinutes(-1);
        await db.ApiKeys.Where(k => k.Id == key.Id && (k.LastUsedAt == null || k.LastUsedAt < staleBefore))
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), Context.RequestAborted);

        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, $"apikey:{key.Id}"),
            new Claim(PortalClaims.ApiKeyId, key.Id.ToString()),
            new Claim(PortalClaims.OrganisationId, key.OrganisationId.ToString()),
            new Claim(PortalClaims.MemberId, key.OwnerMemberId.ToString()),
            new Claim(PortalClaims.DisplayName, $"API key {key.Name}"),
            new Claim(PortalClaims.ApiScopes, key.Scopes),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        await ApiProblems.Problem(Context, ErrorCatalogue.Unauthenticated).ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        await ApiProblems.Problem(Context, ErrorCatalogue.Forbidden).ExecuteAsync(Context);
}
