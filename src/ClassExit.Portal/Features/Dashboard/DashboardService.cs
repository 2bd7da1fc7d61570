using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Ownership;
using ClassExit.Portal.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Dashboard;

public sealed record DashboardCounts(int ActiveClasses, int DissolvedClasses, int ActiveMembers, int Members,
    IReadOnlyDictionary<ExitRequestStatus, int> ExitRequestsByStatus, int OverdueApprovals, int PendingTransfers, int StaleDevices,
    DateTimeOffset ReadAt);

public sealed class DashboardService(TenantDb tenantDb, TimeProvider clock)
{
    public async Task<DashboardCounts> GetAsync(CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var classStates = await db.Classes.GroupBy(c => c.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        var activeMembers = await db.Memberships.Where(m => m.State == MembershipState.Active).Select(m => m.MemberId).Distinct().CountAsync(ct);
        var exits = await db.ExitRequests.GroupBy(e => e.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        return new DashboardCounts(
            classStates.Where(c => c.Key == ClassStatus.Active).Sum(c => c.Count),
            classStates.Where(c => c.Key == ClassStatus.Dissolved).Sum(c => c.Count),
            activeMembers,
            await db.Members.CountAsync(ct),
            Enum.GetValues<ExitRequestStatus>().ToDictionary(s => s, s => exits.Where(e => e.Key == s).Sum(e => e.Count)),
            await db.ExitRequests.CountAsync(e => e.Status == ExitRequestStatus.PendingApproval && e.Overdue, ct),
            await db.OwnershipTransfers.CountAsync(t => t.Status == TransferStatus.Pending, ct),
            await db.Devices.CountAsync(d => d.IsStale, ct),
            clock.GetUtcNow());
    }
}
