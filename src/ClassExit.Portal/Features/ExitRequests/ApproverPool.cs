using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Exits;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.ExitRequests;

/// <summary>
/// Who may decide an exit request once separation of duties is applied: never the member leaving, never the requester, never
/// someone leaving the class themselves, and only enabled portal accounts. Identity's tables carry no tenant filter, so the
/// organisation is named explicitly here.
/// </summary>
public static class ApproverPool
{
    /// <summary>School staff with an active owner, class admin or teacher role in the request's class.</summary>
    public static Task<List<long>> ClassApproversAsync(PortalDbContext db, long organisationId, ExitRequest request, CancellationToken ct) =>
        (from u in AccountsWithRole(db, organisationId, PortalRoles.SchoolStaff)
         join ms in db.Memberships on u.MemberId equals ms.MemberId
         where ms.ClassId == request.ClassId && ms.State == MembershipState.Active
               && (ms.Role == ClassRole.Owner || ms.Role == ClassRole.ClassAdmin || ms.Role == ClassRole.Teacher)
               && u.MemberId != request.MemberId && u.MemberId != request.RequestedByMemberId
         select u.MemberId!.Value).Distinct().ToListAsync(ct);

    /// <summary>The organisation's enterprise admins who may decide it (the escalation's recipients).</summary>
    public static Task<List<long>> AdminsAsync(PortalDbContext db, long organisationId, ExitRequest request, CancellationToken ct) =>
        AccountsWithRole(db, organisationId, PortalRoles.EnterpriseAdmin)
            .Where(u => u.MemberId != request.MemberId && u.MemberId != request.RequestedByMemberId)
            .Select(u => u.MemberId!.Value).Distinct().ToListAsync(ct);

    private static IQueryable<PortalUser> AccountsWithRole(PortalDbContext db, long organisationId, string role) =>
        from u in db.Users
        join ur in db.UserRoles on u.Id equals ur.UserId
        join r in db.Roles on ur.RoleId equals r.Id
        where u.OrganisationId == organisationId && !u.IsDisabled && u.MemberId != null && r.Name == role
        select u;
}
