using ClassExit.Portal.Data;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Infrastructure;

/// <summary>
/// Creates one short-lived context per operation, already scoped to the acting user's organisation. Feature services
/// use this, never a scoped context (Blazor Server would share it across a whole circuit).
/// </summary>
public sealed class TenantDb(IDbContextFactory<PortalDbContext> factory, ICurrentUser currentUser)
{
    public async Task<PortalDbContext> CreateAsync(CancellationToken ct = default)
    {
        var user = await currentUser.GetAsync();
        var db = await factory.CreateDbContextAsync(ct);
        return db.ForTenant(user.OrganisationId);
    }

    public Task<PortalPrincipal> UserAsync() => currentUser.GetAsync();
}
