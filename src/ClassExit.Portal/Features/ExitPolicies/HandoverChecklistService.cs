using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.ExitPolicies;

public sealed record ChecklistItemRow(long ItemId, string Title, int CompletedBy);

/// <summary>A class's handover checklist: its items, and how many current members there are to complete them.</summary>
public sealed record ClassChecklist(long ClassId, string ClassName, IReadOnlyList<ChecklistItemRow> Items, int CurrentMembers);

/// <summary>A current member of the class and the checklist items they have completed.</summary>
public sealed record ChecklistMemberRow(long MemberId, string DisplayName, ClassRole Role, IReadOnlySet<long> Completed);

public sealed record ChecklistClassOption(long ClassId, string Name, int Items);

/// <summary>
/// Handover checklists (e.g. finance: client records handed over before leaving a sales-training class): enterprise admins define the
/// items of a class (a policy change: step-up, audited) and record which member has completed which item (audited). The exit
/// engine reads both at every evaluation (rule 50105).
/// </summary>
public sealed class HandoverChecklistService(TenantDb tenantDb, TimeProvider clock, StepUpVerifier stepUp, PortalAuthorizer authorizer)
{
    /// <summary>Classes to pick from, those with a checklist first.</summary>
    public async Task<IReadOnlyList<ChecklistClassOption>> ClassesAsync(string? search, CancellationToken ct = default)
    {
        search = TextLimits.Cut(search, TextLimits.Search);
        await using var db = await tenantDb.CreateAsync(ct);
        var query = db.Classes.AsNoTracking().Where(c => c.Status == ClassStatus.Active);
        if (!string.IsNullOrWhiteSpace(search)) query = query.Where(c => c.Name.Contains(search.Trim()));
        return await query.OrderByDescending(c => c.Checklist.Count).ThenBy(c => c.Name)
            .Select(c => new ChecklistClassOption(c.Id, c.Name, c.Checklist.Count)).Take(50).ToListAsync(ct);
    }

    public async Task<ClassChecklist?> GetAsync(long classId, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var cls = await db.Classes.AsNoTracking().Where(c => c.Id == classId)
            .Select(c => new { c.Id, c.Name, Items = c.Checklist.Select(i => new { i.Id, i.Title }).ToList() }).SingleOrDefaultAsync(ct);
        if (cls is null) return null;
        var itemIds = cls.Items.Select(i => i.Id).ToList();
        var current = CurrentMembers(db, classId);
        var counts = await db.HandoverCompletions.AsNoTracking()
            .Where(h => itemIds.Contains(h.ChecklistItemId) && current.Any(ms => ms.MemberId == h.MemberId))
            .GroupBy(h => h.ChecklistItemId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        return new ClassChecklist(cls.Id, cls.Name,
            cls.Items.OrderBy(i => i.Id).Select(i => new ChecklistItemRow(i.Id, i.Title, counts.GetValueOrDefault(i.Id))).ToList(),
            await current.CountAsync(ct));
    }

    /// <summary>Current members of the class with their completions, paged and searched in SQL.</summary>
    public async Task<PagedResult<ChecklistMemberRow>> MembersAsync(long classId, string? search, PageRequest page, CancellationToken ct = default)
    {
        search = TextLimits.Cut(search, TextLimits.Search);
        await using var db = await tenantDb.CreateAsync(ct);
        var query = from ms in CurrentMembers(db, classId)
                    join m in db.Members on ms.MemberId equals m.Id
                    select new { ms.MemberId, m.DisplayName, m.EmployeeNo, ms.Role };
        if (!string.IsNullOrWhiteSpace(search))
        {
            var s = search.Trim();
            query = query.Where(r => r.DisplayName.Contains(s) || r.EmployeeNo.Contains(s));
        }
        var total = await query.CountAsync(ct);
        var rows = await query.OrderByDescending(r => r.Role).ThenBy(r => r.DisplayName).Skip(page.Skip).Take(page.PageSize).ToListAsync(ct);
        var memberIds = rows.Select(r => r.MemberId).ToList();
        var itemIds = await db.Classes.Where(c => c.Id == classId).SelectMany(c => c.Checklist.Select(i => i.Id)).ToListAsync(ct);
        var done = (await db.HandoverCompletions.AsNoTracking()
                .Where(h => memberIds.Contains(h.MemberId) && itemIds.Contains(h.ChecklistItemId))
                .Select(h => new { h.MemberId, h.ChecklistItemId }).ToListAsync(ct))
            .ToLookup(h => h.MemberId, h => h.ChecklistItemId);
        return new PagedResult<ChecklistMemberRow>(
            rows.Select(r => new ChecklistMemberRow(r.MemberId, r.DisplayName, r.Role, done[r.MemberId].ToHashSet())).ToList(), total);
    }

    public async Task<int?> AddItemAsync(long classId, string title, string password, CancellationToken ct = default)
    {
        title = title.Trim();
        if (title.Length == 0) return ErrorCatalogue.MalformedRequest;
        if (await InputLimits.CheckAsync(tenantDb, clock, "checklist.item_added", ct, new TextInput("checklist_item", title, TextLimits.ChecklistItemTitle)) is { } tooLong)
            return tooLong;
        return await ChangeItemsAsync(classId, password, "checklist.item_added", cls =>
        {
            if (cls.Checklist.Count >= ClassGroup.MaxChecklistItems) return ErrorCatalogue.MalformedRequest;
            if (cls.Checklist.Any(i => string.Equals(i.Title, title, StringComparison.OrdinalIgnoreCase))) return ErrorCatalogue.MalformedRequest;
            cls.AddChecklistItem(title);
            return null;
        }, new { title }, ct);
    }

    /// <summary>Removes an item and every member's completion of it (the rule no longer asks for it).</summary>
    public async Task<int?> RemoveItemAsync(long classId, long itemId, string password, CancellationToken ct = default) =>
        await ChangeItemsAsync(classId, password, "checklist.item_removed",
            cls => cls.RemoveChecklistItem(itemId) ? null : ErrorCatalogue.NotFound, new { item_id = itemId }, ct, itemId);

    /// <summary>Records (or withdraws) that a current member has completed an item. Audited; no step-up: it records a fact, not a policy.</summary>
    public async Task<int?> SetCompletedAsync(long classId, long itemId, long memberId, bool completed, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandClassAsync(db, user, PortalAction.CompleteChecklist, classId, memberId, ct) is { } refused) return refused;
        var item = await db.Classes.Where(c => c.Id == classId).SelectMany(c => c.Checklist).Where(i => i.Id == itemId)
            .Select(i => new { i.Id, i.Title }).SingleOrDefaultAsync(ct);
        if (item is null || !await CurrentMembers(db, classId).AnyAsync(ms => ms.MemberId == memberId, ct)) return ErrorCatalogue.NotFound;
        var existing = await db.HandoverCompletions.SingleOrDefaultAsync(h => h.ChecklistItemId == itemId && h.MemberId == memberId, ct);
        if (completed == existing is not null) return null;
        var now = clock.GetUtcNow();
        if (completed) db.HandoverCompletions.Add(new HandoverCompletion(user.OrganisationId, itemId, memberId, now));
        else db.HandoverCompletions.Remove(existing!);
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), now, completed ? "checklist.completed" : "checklist.reopened",
            AuditOutcome.Succeeded, "ChecklistItem", itemId.ToString(), classId, memberId, details: new { item.Title });
        await db.SaveChangesAsync(ct);
        return null;
    }

    private async Task<int?> ChangeItemsAsync(long classId, string password, string action, Func<ClassGroup, int?> change, object details,
        CancellationToken ct, long? removedItemId = null)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandClassAsync(db, user, PortalAction.EditChecklist, classId, null, ct) is { } refused) return refused;
        if (!await stepUp.VerifyAsync(user, password, action, db, ct)) return ErrorCatalogue.StepUpFailed;
        var cls = await db.Classes.Include(c => c.Checklist).SingleOrDefaultAsync(c => c.Id == classId && c.Status == ClassStatus.Active, ct);
        if (cls is null) return ErrorCatalogue.NotFound;
        var before = cls.Checklist.Select(i => i.Title).ToList();
        if (change(cls) is { } code) return code;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (removedItemId is { } removed)
            await db.HandoverCompletions.Where(h => h.ChecklistItemId == removed).ExecuteDeleteAsync(ct);
        AuditLog.Add(db, cls.OrganisationId, AuditActor.From(user), clock.GetUtcNow(), action, AuditOutcome.Succeeded, "Class", classId.ToString(),
            classId, securityEvent: true, details: new { before, after = cls.Checklist.Select(i => i.Title).ToList(), change = details });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return null;
    }

    private static IQueryable<Membership> CurrentMembers(ClassExit.Portal.Data.PortalDbContext db, long classId) =>
        db.Memberships.Where(Membership.Current).Where(ms => ms.ClassId == classId);
}
