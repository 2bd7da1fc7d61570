using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Classes;

namespace ClassExit.Portal.Infrastructure.Authorization;

/// <summary>
/// What a signed-in principal may read (ADR 0007), in one place, as queries the read services compose into their own SQL.
/// Enterprise admins, HR operators and auditors read the whole organisation; school staff read the classes in which they hold a
/// role (owner, class admin, teacher) and those classes' members; anyone else reads no class. The tenant filter (ADR 0004) has
/// already narrowed every query to the principal's organisation: this narrows further, never widens.
/// </summary>
public static class ReadScope
{
    /// <summary>The portal roles that read organisation-wide lists (all members, every exit request, devices, retention, totals).</summary>
    public const PortalRole OrganisationRoles = PortalRole.EnterpriseAdmin | PortalRole.HrOperator | PortalRole.Auditor;

    /// <summary>
    /// Reads the whole organisation: an enterprise admin, HR operator or auditor, or an API key (the key's scopes decide which endpoint
    /// it may call; what an endpoint answers is organisation-wide, as api.md describes).
    /// </summary>
    public static bool ReadsOrganisation(PortalPrincipal user)
    {
        var actor = PortalAuthorizer.ActorOf(user);
        return actor.IsApiKey || actor.Has(OrganisationRoles);
    }

    /// <summary>
    /// The ids of the classes the principal may see, as a subquery for <c>Contains</c>; null when they see every class of the
    /// organisation (no filter to add). School staff: the classes where they are still a member (an exit of theirs may be pending)
    /// as owner, class admin or teacher; a student's seat gives no view of the class. Anyone else: no class.
    /// </summary>
    public static IQueryable<long>? VisibleClassIds(PortalDbContext db, PortalPrincipal user)
    {
        if (ReadsOrganisation(user)) return null;
        if (!PortalAuthorizer.ActorOf(user).Has(PortalRole.SchoolStaff) || user.MemberId is not { } me)
            return db.Memberships.Where(m => false).Select(m => m.ClassId);
        return db.Memberships.Where(Membership.Current)
            .Where(m => m.MemberId == me && (m.Role == ClassRole.Owner || m.Role == ClassRole.ClassAdmin || m.Role == ClassRole.Teacher))
            .Select(m => m.ClassId);
    }

    /// <summary>
    /// The ids of the members the principal may see: null for everyone in the organisation, else everyone who is or was a member of a
    /// visible class (the class page lists former members too).
    /// </summary>
    public static IQueryable<long>? VisibleMemberIds(PortalDbContext db, PortalPrincipal user) =>
        VisibleClassIds(db, user) is { } classes
            ? db.Memberships.Where(m => classes.Contains(m.ClassId)).Select(m => m.MemberId)
            : null;
}
