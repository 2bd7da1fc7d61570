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

public sealed class DashboardService(TenantDb tenantDb, TimeProvider clock)
{
    public async Task<DashboardCounts> GetAsync(CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
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
        var activeMembers = await memberships.Where(m => m.State == MembershipState.Active).Select(m => m.MemberId).Distinct().CountAsync(ct);
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
