using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Ownership;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Classes;

public sealed record ClassRow(long ClassId, string Name, ClassStatus Status, long OwnerMemberId, string OwnerName, int MemberCount,
    Classification Classification, DateOnly TermEndsOn, bool ExitLocked, bool HasChecklist)
{
    public bool InFreezeWindow(DateOnly today, int windowDays) => FreezeWindow.IsFrozen(today, TermEndsOn, windowDays);
}

public sealed record ClassMemberRow(long MembershipId, long MemberId, string DisplayName, ClassRole ClassRole, MembershipState State,
    DateTimeOffset JoinedAt, DateTimeOffset? LeftAt, string? Department);

public sealed record ContentSummary(int OpenAssignments, int AssignmentsGrading, int UpcomingLiveStreams, int ChatMessages,
    int MessagesDueForPurge, int Announcements, int HomeworkSubmissions, int Documents, int ReadOnlyDocuments, int Polls, int Replays,
    int PrivateReplays);

public sealed record ClassDetail(ClassRow Class, DateTimeOffset CreatedAt, DateTimeOffset? DissolvedAt, IReadOnlyList<string> Checklist,
    int ActiveMembers, int PendingExits, int LeftMembers, int OpenExitRequests, int PendingTransfers, ContentSummary Content,
    IReadOnlyDictionary<ClassRole, int> RoleCounts);

/// <summary>
/// Classes and their members: one code path for the pages and the REST API. School staff see only the classes in which they hold a
/// role (<see cref="ReadScope"/>, ADR 0007); any other class looks as if it did not exist.
/// </summary>
public sealed class ClassesService(TenantDb tenantDb)
{
    public async Task<PagedResult<ClassRow>> SearchAsync(string? search, PageRequest page, CancellationToken ct = default)
    {
        search = TextLimits.Cut(search, TextLimits.Search);
        await using var db = await tenantDb.CreateAsync(ct);
        var query = await VisibleClassesAsync(db);
        if (!string.IsNullOrWhiteSpace(search))
        {
            var term = search.Trim();
            query = query.Where(c => c.Name.Contains(term));
        }
        var total = await query.CountAsync(ct);
        // Sort on the entity (EF cannot order by a record built by its constructor), then page, then project.
        IOrderedQueryable<ClassGroup> ordered = (page.SortBy, page.Descending) switch
        {
            ("member_count" or "MemberCount", false) => query.OrderBy(c => EF.Property<int>(c, MemberCounts.Column)),
            ("member_count" or "MemberCount", true) => query.OrderByDescending(c => EF.Property<int>(c, MemberCounts.Column)),
            ("term_ends_on" or "TermEndsOn", false) => query.OrderBy(c => c.TermEndsOn),
            ("term_ends_on" or "TermEndsOn", true) => query.OrderByDescending(c => c.TermEndsOn),
            ("name" or "Name", false) => query.OrderBy(c => c.Name),
            ("name" or "Name", true) => query.OrderByDescending(c => c.Name),
            ("owner" or "OwnerName", false) => query.OrderBy(c => db.Members.Where(m => m.Id == c.OwnerMemberId).Select(m => m.DisplayName).FirstOrDefault()),
            ("owner" or "OwnerName", true) => query.OrderByDescending(c => db.Members.Where(m => m.Id == c.OwnerMemberId).Select(m => m.DisplayName).FirstOrDefault()),
            (_, true) => query.OrderByDescending(c => c.Id),
            _ => query.OrderBy(c => c.Id),
        };
        var rows = ToRows(db, ordered.ThenBy(c => c.Id).Skip(page.Skip).Take(page.PageSize));
        var items = await rows.ToListAsync(ct);
        return new PagedResult<ClassRow>(items, total);
    }

    /// <summary>
    /// Null when the class does not exist in the user's organisation (other tenants' ids look the same) or is not visible to them.
    /// </summary>
    public async Task<ClassDetail?> GetDetailAsync(long classId, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var row = await ToRows(db, (await VisibleClassesAsync(db)).Where(c => c.Id == classId)).FirstOrDefaultAsync(ct);
        if (row is null) return null;
        var meta = await db.Classes.AsNoTracking().Where(c => c.Id == classId)
            .Select(c => new { c.CreatedAt, c.DissolvedAt, Checklist = c.Checklist.Select(i => i.Title).ToList() }).SingleAsync(ct);

        var states = await db.Memberships.Where(m => m.ClassId == classId).GroupBy(m => new { m.State, m.Role })
            .Select(g => new { g.Key.State, g.Key.Role, Count = g.Count() }).ToListAsync(ct);
        var roleCounts = states.Where(s => s.State is MembershipState.Active or MembershipState.ExitPending)
            .GroupBy(s => s.Role).ToDictionary(g => g.Key, g => g.Sum(x => x.Count));

        var content = new ContentSummary(
            await db.Assignments.CountAsync(a => a.ClassId == classId && a.Status == AssignmentStatus.Open, ct),
            await db.Assignments.CountAsync(a => a.ClassId == classId && a.GradedCount < a.SubmissionCount, ct),
            await db.LiveStreams.Where(LiveStream.Unfinished).CountAsync(l => l.ClassId == classId, ct),
            await db.ChatMessages.CountAsync(m => m.ClassId == classId, ct),
            await db.ChatMessages.CountAsync(m => m.ClassId == classId && m.PurgeAfter != null, ct),
            await db.Announcements.CountAsync(a => a.ClassId == classId, ct),
            await db.HomeworkSubmissions.CountAsync(h => h.ClassId == classId, ct),
            await db.SharedDocuments.CountAsync(d => d.ClassId == classId, ct),
            await db.SharedDocuments.CountAsync(d => d.ClassId == classId && d.EditMode == DocumentEditMode.ReadOnly, ct),
            await db.Polls.CountAsync(p => p.ClassId == classId, ct),
            await db.LiveReplays.CountAsync(r => r.ClassId == classId, ct),
            await db.LiveReplays.CountAsync(r => r.ClassId == classId && r.Visibility == ReplayVisibility.Private, ct));

        return new ClassDetail(row, meta.CreatedAt, meta.DissolvedAt, meta.Checklist,
            states.Where(s => s.State == MembershipState.Active).Sum(s => s.Count),
            states.Where(s => s.State == MembershipState.ExitPending).Sum(s => s.Count),
            states.Where(s => s.State is MembershipState.Left or MembershipState.Removed).Sum(s => s.Count),
            await db.ExitRequests.Where(ExitRequest.Open).CountAsync(e => e.ClassId == classId, ct),
            await db.OwnershipTransfers.CountAsync(t => t.ClassId == classId && t.Status == TransferStatus.Pending, ct),
            content, roleCounts);
    }

    /// <summary>Null when the class is not in the user's organisation or not visible to them.</summary>
    public async Task<PagedResult<ClassMemberRow>?> GetMembersAsync(long classId, PageRequest page, string? search = null, CancellationToken ct = default)
    {
        search = TextLimits.Cut(search, TextLimits.Search);
        await using var db = await tenantDb.CreateAsync(ct);
        if (!await (await VisibleClassesAsync(db)).AnyAsync(c => c.Id == classId, ct)) return null;
        var query = from ms in db.Memberships.AsNoTracking()
                    join m in db.Members on ms.MemberId equals m.Id
                    where ms.ClassId == classId
                    select new { ms, m };
        if (!string.IsNullOrWhiteSpace(search))
        {
            var term = search.Trim();
            query = query.Where(r => r.m.DisplayName.Contains(term));
        }
        var total = await query.CountAsync(ct);
        query = (page.SortBy, page.Descending) switch
        {
            ("DisplayName", false) => query.OrderBy(r => r.m.DisplayName).ThenBy(r => r.m.Id),
            ("DisplayName", true) => query.OrderByDescending(r => r.m.DisplayName).ThenBy(r => r.m.Id),
            ("State", false) => query.OrderBy(r => r.ms.State).ThenBy(r => r.m.Id),
            ("State", true) => query.OrderByDescending(r => r.ms.State).ThenBy(r => r.m.Id),
            ("JoinedAt", false) => query.OrderBy(r => r.ms.JoinedAt).ThenBy(r => r.m.Id),
            ("JoinedAt", true) => query.OrderByDescending(r => r.ms.JoinedAt).ThenBy(r => r.m.Id),
            ("ClassRole", false) => query.OrderBy(r => r.ms.Role).ThenBy(r => r.m.Id),
            // Default: owner, class admins and teachers first, then students by id.
            _ => query.OrderByDescending(r => r.ms.Role).ThenBy(r => r.m.Id),
        };
        var items = await query.Skip(page.Skip).Take(page.PageSize)
            .Select(r => new ClassMemberRow(r.ms.Id, r.m.Id, r.m.DisplayName, r.ms.Role, r.ms.State, r.ms.JoinedAt, r.ms.LeftAt, r.m.Department))
            .ToListAsync(ct);
        return new PagedResult<ClassMemberRow>(items, total);
    }

    private async Task<IQueryable<ClassGroup>> VisibleClassesAsync(PortalDbContext db)
    {
        var visible = ReadScope.VisibleClassIds(db, await tenantDb.UserAsync());
        var classes = db.Classes.AsNoTracking();
        return visible is null ? classes : classes.Where(c => visible.Contains(c.Id));
    }

    private static IQueryable<ClassRow> ToRows(PortalDbContext db, IQueryable<ClassGroup> classes) =>
        classes.Select(c => new ClassRow(
            c.Id, c.Name, c.Status, c.OwnerMemberId,
            db.Members.Where(m => m.Id == c.OwnerMemberId).Select(m => m.DisplayName).FirstOrDefault() ?? "",
            // Current members, kept by the database in the same statement as every membership change (MemberCounts).
            EF.Property<int>(c, MemberCounts.Column),
            c.Classification, c.TermEndsOn, c.ExitLocked, c.Checklist.Any()));
}
