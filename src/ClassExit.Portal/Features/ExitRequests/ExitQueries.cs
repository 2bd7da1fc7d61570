using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.ExitRequests;

/// <summary>
/// Reads of exit requests for the approval queue, the history, the detail page and the API. School staff see only the requests of
/// classes where they are owner, class admin or teacher (<see cref="ReadScope"/>, ADR 0007); any other request looks as if it did not exist.
/// </summary>
public sealed class ExitQueries(TenantDb tenantDb, TimeProvider clock)
{
    public async Task<PagedResult<ExitRequestRow>> SearchAsync(ExitRequestFilter filter, PageRequest page, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var requests = await VisibleAsync(db);
        if (filter.Status is { } status) requests = requests.Where(e => e.Status == status);
        if (filter.Role is { } role) requests = requests.Where(e => e.RoleAtRequest == role);
        if (filter.OverdueOnly) requests = requests.Where(e => e.Overdue);
        if (filter.Code is { } code) requests = requests.Where(e => e.Code == code);
        if (filter.MinAgeHours is { } hours)
        {
            var before = clock.GetUtcNow().AddHours(-hours);
            requests = requests.Where(e => e.CreatedAt <= before);
        }
        var query = from e in requests
                    join c in db.Classes on e.ClassId equals c.Id
                    join m in db.Members on e.MemberId equals m.Id
                    select new { e, ClassName = c.Name, MemberName = m.DisplayName };
        var searched = !string.IsNullOrWhiteSpace(filter.Search);
        if (searched)
        {
            var term = filter.Search!.Trim();
            query = query.Where(x => x.ClassName.Contains(term) || x.MemberName.Contains(term));
        }
        // Without a name search the count needs no join (every request has its class and member, in the same organisation): an
        // index-only count on (OrganisationId, Status, CreatedAt) instead of two lookups per request (issue 16).
        var total = searched ? await query.CountAsync(ct) : await requests.CountAsync(ct);
        query = (page.SortBy, page.Descending) switch
        {
            ("CreatedAt", false) => query.OrderBy(x => x.e.CreatedAt).ThenBy(x => x.e.Id),
            ("CreatedAt", true) => query.OrderByDescending(x => x.e.CreatedAt).ThenByDescending(x => x.e.Id),
            ("ClassName", false) => query.OrderBy(x => x.ClassName).ThenBy(x => x.e.Id),
            ("ClassName", true) => query.OrderByDescending(x => x.ClassName).ThenBy(x => x.e.Id),
            ("MemberName", false) => query.OrderBy(x => x.MemberName).ThenBy(x => x.e.Id),
            ("MemberName", true) => query.OrderByDescending(x => x.MemberName).ThenBy(x => x.e.Id),
            ("Status", false) => query.OrderBy(x => x.e.Status).ThenBy(x => x.e.Id),
            ("Status", true) => query.OrderByDescending(x => x.e.Status).ThenBy(x => x.e.Id),
            // Queue default: oldest first, so the most overdue request is on top.
            _ when filter.Status == ExitRequestStatus.PendingApproval => query.OrderBy(x => x.e.CreatedAt).ThenBy(x => x.e.Id),
            _ => query.OrderByDescending(x => x.e.CreatedAt).ThenByDescending(x => x.e.Id),
        };
        var items = await query.Skip(page.Skip).Take(page.PageSize)
            .Select(x => new ExitRequestRow(x.e.Id, x.e.ClassId, x.ClassName, x.e.MemberId, x.MemberName, x.e.RoleAtRequest, x.e.Kind, x.e.Channel,
                x.e.Verification, x.e.Status, x.e.Code, x.e.Overdue, x.e.CreatedAt, x.e.DecidedAt, x.e.DecisionNote))
            .ToListAsync(ct);
        return new PagedResult<ExitRequestRow>(items, total);
    }

    /// <summary>The request with its concurrency version, for deciding it. Null when not in this organisation or not visible to the user.</summary>
    public async Task<(ExitRequestRow Row, int Version)?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var row = await (from e in await VisibleAsync(db)
                         join c in db.Classes on e.ClassId equals c.Id
                         join m in db.Members on e.MemberId equals m.Id
                         where e.Id == id
                         select new
                         {
                             Row = new ExitRequestRow(e.Id, e.ClassId, c.Name, e.MemberId, m.DisplayName, e.RoleAtRequest, e.Kind, e.Channel,
                                 e.Verification, e.Status, e.Code, e.Overdue, e.CreatedAt, e.DecidedAt, e.DecisionNote),
                             e.Version,
                         }).SingleOrDefaultAsync(ct);
        return row is null ? null : (row.Row, row.Version);
    }

    /// <summary>The request with its handover and timeline; null exactly when <see cref="GetAsync"/> is.</summary>
    public async Task<ExitRequestDetail?> GetDetailAsync(long id, CancellationToken ct = default)
    {
        var found = await GetAsync(id, ct);
        if (found is null) return null;
        await using var db = await tenantDb.CreateAsync(ct);
        // Timeline: OrganisationId = @tenant AND TargetType AND TargetId, ordered by Id: IX_AuditEntries_OrganisationId_TargetType_TargetId.
        var handover = await (from e in db.ExitRequests.AsNoTracking()
                              from h in e.Handover
                              join m in db.Members on h.ToMemberId equals m.Id
                              where e.Id == id
                              select new { h.DutyKind, h.DutyId, m.DisplayName }).ToListAsync(ct);
        var key = id.ToString();
        var timeline = await db.AuditEntries.AsNoTracking()
            .Where(a => a.TargetType == "ExitRequest" && a.TargetId == key)
            .OrderBy(a => a.Id)
            .Select(a => new TimelineEntry(a.OccurredAt, a.Action, a.ActorName, a.Details, a.Code)).ToListAsync(ct);
        var sla = await db.Organisations.Select(o => o.Policy.ApprovalSlaHours).FirstAsync(ct);
        var decider = await (from e in db.ExitRequests.AsNoTracking()
                             join m in db.Members on e.DecidedByMemberId equals (long?)m.Id
                             where e.Id == id
                             select m.DisplayName).FirstOrDefaultAsync(ct);
        return new ExitRequestDetail(found.Value.Row, handover.Select(h => (h.DutyKind, h.DutyId, h.DisplayName)).ToList(), timeline, sla, found.Value.Version,
            decider);
    }

    private async Task<IQueryable<ExitRequest>> VisibleAsync(Data.PortalDbContext db)
    {
        var visible = ReadScope.VisibleClassIds(db, await tenantDb.UserAsync());
        var requests = db.ExitRequests.AsNoTracking();
        return visible is null ? requests : requests.Where(e => visible.Contains(e.ClassId));
    }

    /// <summary>
    /// api.md's handover items name only a duty id. The duty's kind is looked up among the leaver's open duties in the class
    /// (an assignment id is tried first, then a live stream id); an id that matches neither keeps the kind it was given.
    /// </summary>
    public async Task<List<Domain.Exits.Policy.PlannedHandover>> ResolveDutyKindsAsync(long classId, long memberId, IReadOnlyList<HandoverItem> items,
        List<Domain.Exits.Policy.PlannedHandover> plan, CancellationToken ct)
    {
        if (plan.Count == 0 || items.All(i => i.Kind is not null)) return plan;
        await using var db = await tenantDb.CreateAsync(ct);
        var duties = await ExitSnapshot.OpenDutiesAsync(db, classId, memberId, ct);
        return plan.Select((p, i) => items[i].Kind is not null ? p
            : duties.FirstOrDefault(d => d.Id == p.DutyId && d.ResponsibleIsLeaver) is { } duty ? p with { Kind = duty.Kind } : p).ToList();
    }
}
