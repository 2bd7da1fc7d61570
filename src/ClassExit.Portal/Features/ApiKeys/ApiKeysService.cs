using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.ApiKeys;

public sealed record ApiKeyRow(long Id, string Name, string Prefix, long OwnerMemberId, string OwnerName, DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

public sealed record KeyOwnerOption(long MemberId, string DisplayName);

/// <summary>The secret of a new key: shown once, never stored.</summary>
public sealed record CreatedApiKey(long Id, string Name, string Secret);

/// <summary>Organisation API keys: created with a name and an HR owner, shown once, stored as a hash, revoked. Audited.</summary>
public sealed class ApiKeysService(TenantDb tenantDb, TimeProvider clock)
{
    public async Task<IReadOnlyList<ApiKeyRow>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        return await (from k in db.ApiKeys.AsNoTracking()
                      join m in db.Members on k.OwnerMemberId equals m.Id
                      orderby k.RevokedAt != null, k.CreatedAt descending
                      select new ApiKeyRow(k.Id, k.Name, k.Prefix, k.OwnerMemberId, m.DisplayName, k.CreatedAt, k.LastUsedAt, k.RevokedAt)).ToListAsync(ct);
    }

    /// <summary>Members who may own a key: those with HR permission (their id is the key's operator_id).</summary>
    public async Task<IReadOnlyList<KeyOwnerOption>> OwnerOptionsAsync(CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        return await db.Members.AsNoTracking().Where(m => m.HasHrPermission).OrderBy(m => m.DisplayName)
            .Select(m => new KeyOwnerOption(m.Id, m.DisplayName)).ToListAsync(ct);
    }

    public async Task<CreatedApiKey> CreateAsync(string name, long ownerMemberId, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > 100) throw new ArgumentException("A key needs a name of at most 100 characters.", nameof(name));
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (!await db.Members.AnyAsync(m => m.Id == ownerMemberId && m.HasHrPermission, ct))
            throw new ArgumentException("The owner must be a member with HR permission.", nameof(ownerMemberId));
        var now = clock.GetUtcNow();
        var secret = ApiKey.NewSecret();
        var key = new ApiKey(user.OrganisationId, name.Trim(), ownerMemberId, secret, now);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(ct);
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), now, "api_key.created", AuditOutcome.Succeeded, "ApiKey", key.Id.ToString(),
            memberId: ownerMemberId, securityEvent: true, details: new { key.Name, key.Prefix, owner = ownerMemberId });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new CreatedApiKey(key.Id, key.Name, secret);
    }

    public async Task<bool> RevokeAsync(long id, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        var key = await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == id, ct);
        if (key is null || !key.IsActive) return false;
        var now = clock.GetUtcNow();
        key.Revoke(now);
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), now, "api_key.revoked", AuditOutcome.Succeeded, "ApiKey", key.Id.ToString(),
            memberId: key.OwnerMemberId, securityEvent: true, details: new { key.Name, key.Prefix });
        await db.SaveChangesAsync(ct);
        return true;
    }
}
