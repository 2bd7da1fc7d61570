using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Members;

public sealed record MemberSummary(long MemberId, string DisplayName, string EmployeeNo, string? Email, string? Department, OrgRole OrgRole,
    bool HasHrPermission, ResignationState Resignation, long MembershipVersion, DateTimeOffset? MembershipChangedAt);

public sealed record MemberClassRow(long ClassId, string ClassName, ClassRole Role, MembershipState State, DateTimeOffset JoinedAt, DateTimeOffset? LeftAt);

public sealed record MemberDeviceRow(string DeviceId, Platform Platform, NetworkClass NetworkClass, string ClientVersion, bool IsBound,
    long AcknowledgedVersion, DateTimeOffset? AcknowledgedAt, bool IsStale, bool ResyncRequested);

public sealed record MemberExitRow(long ExitRequestId, long ClassId, string ClassName, ExitKind Kind, ExitChannel Channel, ExitRequestStatus Status,
    int? Code, DateTimeOffset CreatedAt, DateTimeOffset? DecidedAt);

/// <param name="Devices">Null for a reader who sees only their own classes: devices are an organisation-wide list (ADR 0007).</param>
public sealed record MemberDetail(MemberSummary Member, IReadOnlyList<MemberClassRow> Classes, IReadOnlyList<MemberDeviceRow>? Devices,
    IReadOnlyList<MemberExitRow> Exits)
{
    /// <summary>Read by an organisation reader (all of the member's classes, devices, exits), not through one's own classes.</summary>
    public bool OrganisationWide => Devices is not null;
}

public sealed record MemberListRow(long MemberId, string DisplayName, string EmployeeNo, string? Department, OrgRole OrgRole, ResignationState Resignation, int ActiveClasses);

/// <summary>
/// The member directory and member pages. The directory is organisation-wide (enterprise admins, HR, auditors); school staff open the
/// page of a member of one of their classes only, and see that member in their classes only (<see cref="ReadScope"/>, ADR 0007).
/// </summary>
public sealed class MembersService(TenantDb tenantDb)
{
    /// <summary>The whole directory; empty for anyone who does not read the organisation (school staff).</summary>
    public async Task<PagedResult<MemberListRow>> SearchAsync(string? search, PageRequest page, CancellationToken ct = default)
    {
        search = TextLimits.Cut(search, TextLimits.Search);
        if (!ReadScope.ReadsOrganisation(await tenantDb.UserAsync())) return new PagedResult<MemberListRow>([], 0);
        await using var db = await tenantDb.CreateAsync(ct);
        var query = db.Members.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(search))
        {
            var term = search.Trim();
            query = query.Where(m => m.DisplayName.Contains(term) || m.EmployeeNo.Contains(term) || (m.Department != null && m.Department.Contains(term)));
        }
        var total = await query.CountAsync(ct);
        query = (page.SortBy, page.Descending) switch
        {
            ("DisplayName", false) => query.OrderBy(m => m.DisplayName).ThenBy(m => m.Id),
            ("DisplayName", true) => query.OrderByDescending(m => m.DisplayName).ThenBy(m => m.Id),
            ("ActiveClasses", false) => query.OrderBy(m => db.Memberships.Count(ms => ms.MemberId == m.Id && ms.State == MembershipState.Active)).ThenBy(m => m.Id),
            ("ActiveClasses", true) => query.OrderByDescending(m => db.Memberships.Count(ms => ms.MemberId == m.Id && ms.State == MembershipState.Active)).ThenBy(m => m.Id),
            ("EmployeeNo", true) => query.OrderByDescending(m => m.EmployeeNo),
            _ => query.OrderBy(m => m.EmployeeNo),
        };
        var rows = query.Skip(page.Skip).Take(page.PageSize).Select(m => new MemberListRow(m.Id, m.DisplayName, m.EmployeeNo, m.Department, m.OrgRole, m.Resignation,
            db.Memberships.Count(ms => ms.MemberId == m.Id && ms.State == MembershipState.Active)));
        return new PagedResult<MemberListRow>(await rows.ToListAsync(ct), total);
    }
    /// <summary>Null when the member is not in the user's organisation, or (school staff) not a member of one of their classes.</summary>
    public async Task<MemberDetail?> GetAsync(long memberId, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        var visible = ReadScope.VisibleClassIds(db, user);
        IQueryable<Membership> memberships = db.Memberships.AsNoTracking();
        IQueryable<ExitRequest> exitRequests = db.ExitRequests.AsNoTracking();
        IQueryable<Member> members = db.Members.AsNoTracking();
        if (visible is not null)
        {
            memberships = memberships.Where(ms => visible.Contains(ms.ClassId));
            exitRequests = exitRequests.Where(e => visible.Contains(e.ClassId));
            members = members.Where(m => memberships.Any(ms => ms.MemberId == m.Id));
        }
        var member = await members.Where(m => m.Id == memberId)
            .Select(m => new MemberSummary(m.Id, m.DisplayName, m.EmployeeNo, m.Email, m.Department, m.OrgRole, m.HasHrPermission, m.Resignation,
                m.MembershipVersion, m.MembershipChangedAt))
            .SingleOrDefaultAsync(ct);
        if (member is null) return null;

        var classes = await (from ms in memberships
                             join c in db.Classes on ms.ClassId equals c.Id
                             where ms.MemberId == memberId
                             orderby ms.State, c.Name
                             select new MemberClassRow(c.Id, c.Name, ms.Role, ms.State, ms.JoinedAt, ms.LeftAt)).ToListAsync(ct);
        // Devices are an organisation-wide list: a reader of their own classes gets none (not an empty list that would read "no devices").
        var devices = visible is not null ? null : await db.Devices.AsNoTracking().Where(d => d.MemberId == memberId).OrderBy(d => d.Id)
            .Select(d => new MemberDeviceRow(d.Id, d.Platform, d.NetworkClass, d.ClientVersion, d.IsBound, d.AcknowledgedVersion, d.AcknowledgedAt,
                d.IsStale, d.ResyncRequested)).ToListAsync(ct);
        var exits = await (from e in exitRequests
                           join c in db.Classes on e.ClassId equals c.Id
                           where e.MemberId == memberId
                           orderby e.CreatedAt descending
                           select new MemberExitRow(e.Id, c.Id, c.Name, e.Kind, e.Channel, e.Status, e.Code, e.CreatedAt, e.DecidedAt)).Take(200).ToListAsync(ct);
        return new MemberDetail(member, classes, devices, exits);
    }
}
