using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Ownership;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Dashboard;

/// <param name="OrganisationWide">
/// True: the organisation's totals (enterprise admins, HR, auditors). False: the caller's own classes (school staff, ADR 0007): classes
/// where they hold a role, those classes' members and exit requests, the transfers they take part in; no directory size, no devices.
/// </param>
/// <param name="Members">The directory's size; null when not organisation-wide.</param>
/// <param name="StaleDevices">Null when not organisation-wide.</param>
public sealed record DashboardCounts(bool OrganisationWide, int ActiveClasses, int DissolvedClasses, int ActiveMembers, int? Members,
    IReadOnlyDictionary<ExitRequestStatus, int> ExitRequestsByStatus, int OverdueApprovals, int PendingTransfers, int? StaleDevices,
    DateTimeOffset ReadAt);

public sealed class DashboardService(TenantDb tenantDb, TimeProvider clock, DashboardCountsCache cache, IDbContextFactory<Data.PortalDbContext> factory)
{
    /// <summary>The counts read now (tests, and anything that must see its own change at once).</summary>
    public async Task<DashboardCounts> GetAsync(CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        return await ComputeAsync(db, user, ct);
    }

    /// <summary>
    /// The counts the dashboard shows: shared by every circuit of the organisation (or of the staff account) and at most
    /// <see cref="DashboardCountsCache.Ttl"/> old (<see cref="DashboardCounts.ReadAt"/> says when they were read).
    /// </summary>
    public async Task<DashboardCounts> GetSharedAsync(CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        var key = new DashboardCountsCache.Key(user.OrganisationId, ReadScope.ReadsOrganisation(user) ? null : user.UserId ?? $"member:{user.MemberId}");
        // The computation is shared: it must not depend on this caller's token or scope (the circuit may close while others wait on it).
        var counts = cache.GetOrComputeAsync(key, async () =>
        {
            await using var db = (await factory.CreateDbContextAsync(CancellationToken.None)).ForTenant(user.OrganisationId);
            return await ComputeAsync(db, user, CancellationToken.None);
        });
        return await counts.WaitAsync(ct);
    }

    private async Task<DashboardCounts> ComputeAsync(Data.PortalDbContext db, PortalPrincipal user, CancellationToken ct)
    {
        var visible = ReadScope.VisibleClassIds(db, user);
        IQueryable<ClassGroup> classes = db.Classes;
        IQueryable<Membership> memberships = db.Memberships;
        IQueryable<ExitRequest> exitRequests = db.ExitRequests;
        IQueryable<OwnershipTransfer> transfers = db.OwnershipTransfers;
        if (visible is not null)
        {
            classes = classes.Where(c => visible.Contains(c.Id));
            memberships = memberships.Where(m => visible.Contains(m.ClassId));
            exitRequests = exitRequests.Where(e => visible.Contains(e.ClassId));
            // "My transfers", as the transfers page lists them: offered to me, by me, or proposed by me.
            var me = user.MemberId;
            transfers = transfers.Where(t => t.ToMemberId == me || t.FromMemberId == me || t.ProposedByMemberId == me);
        }
        var classStates = await classes.GroupBy(c => c.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        // Organisation-wide: members with an active seat, one probe of (OrganisationId, MemberId, State) per member, instead of
        // COUNT(DISTINCT MemberId) over every membership (issue 16). A staff account's few classes keep the distinct count.
        var activeMembers = visible is null
            ? await db.Members.CountAsync(m => db.Memberships.Any(ms => ms.MemberId == m.Id && ms.State == MembershipState.Active), ct)
            : await memberships.Where(m => m.State == MembershipState.Active).Select(m => m.MemberId).Distinct().CountAsync(ct);
        var exits = await exitRequests.GroupBy(e => e.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        return new DashboardCounts(
            visible is null,
            classStates.Where(c => c.Key == ClassStatus.Active).Sum(c => c.Count),
            classStates.Where(c => c.Key == ClassStatus.Dissolved).Sum(c => c.Count),
            activeMembers,
            visible is null ? await db.Members.CountAsync(ct) : null,
            Enum.GetValues<ExitRequestStatus>().ToDictionary(s => s, s => exits.Where(e => e.Key == s).Sum(e => e.Count)),
            await exitRequests.CountAsync(e => e.Status == ExitRequestStatus.PendingApproval && e.Overdue, ct),
            await transfers.CountAsync(t => t.Status == TransferStatus.Pending, ct),
            visible is null ? await db.Devices.CountAsync(d => d.IsStale, ct) : null,
            clock.GetUtcNow());
    }
}
