using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.ApiKeys;

public sealed record ApiKeyRow(long Id, string Name, string Prefix, long OwnerMemberId, string OwnerName, DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt, IReadOnlyList<string> Scopes);

public sealed record KeyOwnerOption(long MemberId, string DisplayName);

/// <summary>The secret of a new key: shown once, never stored.</summary>
public sealed record CreatedApiKey(long Id, string Name, string Secret, IReadOnlyList<string> Scopes);

/// <summary>Done (with the new key when one was created), or refused with a catalogue code.</summary>
public sealed record ApiKeyResult(int? Code, CreatedApiKey? Created = null)
{
    public bool Succeeded => Code is null;

    public static ApiKeyResult Refused(int code) => new(code);
}

/// <summary>
/// Organisation API keys: created with a name, an HR owner and the scopes they may use, shown once, stored as a hash, revoked.
/// Audited; only those who may manage keys (enterprise admins, HR operators) change them.
/// </summary>
public sealed class ApiKeysService(TenantDb tenantDb, PortalAuthorizer authorizer, TimeProvider clock, StepUpVerifier stepUp,
    Notifications.PortalEvents events)
{
    public const int MaxNameLength = TextLimits.ApiKeyName;

    public async Task<IReadOnlyList<ApiKeyRow>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var rows = await (from k in db.ApiKeys.AsNoTracking()
                          join m in db.Members on k.OwnerMemberId equals m.Id
                          orderby k.RevokedAt != null, k.CreatedAt descending
                          select new { k.Id, k.Name, k.Prefix, k.OwnerMemberId, m.DisplayName, k.CreatedAt, k.LastUsedAt, k.RevokedAt, k.Scopes })
            .ToListAsync(ct);
        return rows.Select(k => new ApiKeyRow(k.Id, k.Name, k.Prefix, k.OwnerMemberId, k.DisplayName, k.CreatedAt, k.LastUsedAt, k.RevokedAt,
            Ordered(ApiScopes.Parse(k.Scopes)))).ToList();
    }

    /// <summary>Members who may own a key: those with HR permission (their id is the key's operator_id).</summary>
    public async Task<IReadOnlyList<KeyOwnerOption>> OwnerOptionsAsync(CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        return await db.Members.AsNoTracking().Where(m => m.HasHrPermission).OrderBy(m => m.DisplayName)
            .Select(m => new KeyOwnerOption(m.Id, m.DisplayName)).ToListAsync(ct);
    }

    /// <summary>
    /// A new key for <paramref name="ownerMemberId"/> with <paramref name="scopes"/> (at least one of <see cref="ApiScopes.All"/>).
    /// Refused: 40302 (may not manage keys), 40002 (name missing or longer than 100 characters, no scope or an unknown one),
    /// 40301 (the owner has no HR permission), 50404 (step-up failed: <paramref name="password"/> is the password or authenticator code,
    /// empty inside the step-up window).
    /// </summary>
    public async Task<ApiKeyResult> CreateAsync(string name, long ownerMemberId, IReadOnlyCollection<string> scopes, string password, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandAsync(db, user, PortalAction.ManageApiKeys, new AccessTarget(), "ApiKey", null, ct) is { } refused)
            return ApiKeyResult.Refused(refused);
        if (string.IsNullOrWhiteSpace(name)) return ApiKeyResult.Refused(ErrorCatalogue.MalformedRequest);
        if (await InputLimits.CheckAsync(db, user, clock, "api_key.created", ct, new TextInput("api_key_name", name, TextLimits.ApiKeyName)) is { } tooLong)
            return ApiKeyResult.Refused(tooLong);
        if (scopes.Count == 0 || !scopes.All(ApiScopes.IsKnown)) return ApiKeyResult.Refused(ErrorCatalogue.MalformedRequest);
        if (!await db.Members.AnyAsync(m => m.Id == ownerMemberId, ct))
            return ApiKeyResult.Refused(await authorizer.NotFoundAsync(db, user, PortalAction.ManageApiKeys, "Member", ownerMemberId.ToString(), ct));
        if (!await db.Members.AnyAsync(m => m.Id == ownerMemberId && m.HasHrPermission, ct)) return ApiKeyResult.Refused(ErrorCatalogue.NoHrPermission);
        if (!await stepUp.VerifyAsync(user, password, "api_key.created", db, ct)) return ApiKeyResult.Refused(ErrorCatalogue.StepUpFailed);

        var now = clock.GetUtcNow();
        var secret = ApiKey.NewSecret();
        var key = new ApiKey(user.OrganisationId, name.Trim(), ownerMemberId, secret, now, scopes);
        var granted = Ordered(ApiScopes.Parse(key.Scopes));
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(ct);
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), now, "api_key.created", AuditOutcome.Succeeded, "ApiKey", key.Id.ToString(),
            memberId: ownerMemberId, securityEvent: true, details: new { key.Name, key.Prefix, owner = ownerMemberId, scopes = granted });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new ApiKeyResult(null, new CreatedApiKey(key.Id, key.Name, secret, granted));
    }

    /// <summary>Revokes a key at once (a second revoke changes nothing). Refused: 40302, 40401 (no such key in the organisation),
    /// 50404 (step-up failed).</summary>
    public async Task<ApiKeyResult> RevokeAsync(long id, string password, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandAsync(db, user, PortalAction.ManageApiKeys, new AccessTarget(), "ApiKey", id.ToString(), ct) is { } refused)
            return ApiKeyResult.Refused(refused);
        var key = await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == id, ct);
        if (key is null) return ApiKeyResult.Refused(await authorizer.NotFoundAsync(db, user, PortalAction.ManageApiKeys, "ApiKey", id.ToString(), ct));
        if (!key.IsActive) return new ApiKeyResult(null);
        if (!await stepUp.VerifyAsync(user, password, "api_key.revoked", db, ct)) return ApiKeyResult.Refused(ErrorCatalogue.StepUpFailed);
        var now = clock.GetUtcNow();
        key.Revoke(now);
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), now, "api_key.revoked", AuditOutcome.Succeeded, "ApiKey", key.Id.ToString(),
            memberId: key.OwnerMemberId, securityEvent: true, details: new { key.Name, key.Prefix });
        // A security event: the admins and the key's owner learn of it (whoever revoked it is not told of their own act).
        await events.RaiseAsync(db, new Notifications.PortalEvent(user.OrganisationId, Domain.Notifications.EventKinds.ApiKeyRevoked, now, "ApiKey",
            key.Id.ToString(), Data: new Dictionary<string, object?>
            {
                ["key_name"] = key.Name, ["prefix"] = key.Prefix, ["by"] = user.Name, ["actor_member_id"] = user.MemberId,
            }), ct);
        await db.SaveChangesAsync(ct);
        return new ApiKeyResult(null);
    }

    /// <summary>Scopes in the catalogue's order, for lists and the audit entry.</summary>
    private static IReadOnlyList<string> Ordered(IReadOnlySet<string> scopes) => ApiScopes.All.Where(scopes.Contains).ToList();
}
