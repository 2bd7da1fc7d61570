using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Audit;

/// <summary>
/// Audit search filters. Dates are the organisation's local calendar days. <see cref="ActorMemberId"/>, <see cref="MemberId"/>,
/// <see cref="ClassId"/> and the dates use indexes (issue 16); <see cref="Actor"/> (a substring of the actor's name, kept for the CSV
/// export's <c>actor=</c>) and <see cref="Text"/> (a substring of the name or the details) scan the organisation's entries: slow.
/// </summary>
public sealed record AuditFilter(string? Actor = null, long? MemberId = null, long? ClassId = null, string? Action = null, int? Code = null,
    bool SecurityOnly = false, DateOnly? From = null, DateOnly? To = null, AuditOutcome? Outcome = null, long? ActorMemberId = null,
    string? Text = null);

/// <summary>A member offered as the actor of an audit search.</summary>
public sealed record AuditActorOption(long MemberId, string DisplayName, string EmployeeNo);

public sealed record AuditRow(long Id, long? Sequence, DateTimeOffset OccurredAt, string Action, AuditOutcome Outcome, int? Code, string? ActorName,
    string? TargetType, string? TargetId, long? ClassId, long? MemberId, bool IsSecurityEvent, string? Details, string CorrelationId, string? Hash);

/// <summary>What an entry is about, for people: the target's type and id, and its name where it has one (a class, member, user or key).</summary>
/// <param name="ClassName">The class the entry concerns (its own or the target's), shown beside the target.</param>
public sealed record AuditObjectName(string? Type, string? Id, string? Name, string? ClassName);

/// <summary>A keyset page: newest first; <see cref="OlderCursor"/> / <see cref="NewerCursor"/> continue from its ends.</summary>
/// <param name="Objects">Readable names of the entries' targets, by entry id (resolved once per page, a query per kind, not per row).</param>
public sealed record AuditResultPage(IReadOnlyList<AuditRow> Items, long? OlderCursor, long? NewerCursor,
    IReadOnlyDictionary<long, AuditObjectName>? Objects = null);

public sealed record HistoryMessage(long MessageId, DateTimeOffset SentAt, string Body, DateTimeOffset? PurgeAfter);

/// <summary>Searches of the audit log (keyset paging, so it stays fast over millions of rows) and of departed members' history.</summary>
public sealed class AuditSearchService(TenantDb tenantDb, TimeProvider clock, PortalAuthorizer authorizer, AuditChainService chain, AuditCheckpoints checkpoints)
{
    public const int PageSize = 50;

    public async Task<AuditResultPage> SearchAsync(AuditFilter filter, long? olderThan = null, long? newerThan = null, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var query = await ApplyAsync(db, filter, ct);
        List<AuditRow> rows;
        if (newerThan is { } after)
            rows = (await Project(query.Where(a => a.Id > after).OrderBy(a => a.Id)).Take(PageSize).ToListAsync(ct)).OrderByDescending(r => r.Id).ToList();
        else
            rows = await Project((olderThan is { } before ? query.Where(a => a.Id < before) : query).OrderByDescending(a => a.Id)).Take(PageSize).ToListAsync(ct);
        if (rows.Count == 0) return new AuditResultPage(rows, null, null);
        var oldest = rows[^1].Id;
        var newest = rows[0].Id;
        var hasOlder = await query.AnyAsync(a => a.Id < oldest, ct);
        // The first page (no cursor) is the newest one: no query needed to know there is nothing newer.
        var hasNewer = (olderThan is not null || newerThan is not null) && await query.AnyAsync(a => a.Id > newest, ct);
        return new AuditResultPage(rows, hasOlder ? oldest : null, hasNewer ? newest : null, await ObjectNamesAsync(db, rows, ct));
    }

    /// <summary>
    /// Names for a page's targets: one query for its classes, one for its members, one for its users and one for its API keys, however
    /// many rows (a GUID or a bare id means nothing to a reader).
    /// </summary>
    private static async Task<IReadOnlyDictionary<long, AuditObjectName>> ObjectNamesAsync(Data.PortalDbContext db, IReadOnlyList<AuditRow> rows, CancellationToken ct)
    {
        static long? IdOf(AuditRow r, string type) => r.TargetType == type && long.TryParse(r.TargetId, out var id) ? id : null;
        var classIds = rows.Select(r => r.ClassId).Concat(rows.Select(r => IdOf(r, "Class"))).OfType<long>().Distinct().ToList();
        var memberIds = rows.Select(r => IdOf(r, "Member")).OfType<long>().Distinct().ToList();
        var keyIds = rows.Select(r => IdOf(r, "ApiKey")).OfType<long>().Distinct().ToList();
        var userIds = rows.Where(r => r.TargetType == "User" && r.TargetId is not null).Select(r => r.TargetId!).Distinct().ToList();
        var classes = classIds.Count == 0 ? new Dictionary<long, string>() : await db.Classes.AsNoTracking().Where(c => EF.Parameter(classIds).Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        var members = memberIds.Count == 0 ? new Dictionary<long, string>() : await db.Members.AsNoTracking().Where(m => EF.Parameter(memberIds).Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => m.DisplayName, ct);
        var keys = keyIds.Count == 0 ? new Dictionary<long, string>() : await db.ApiKeys.AsNoTracking().Where(k => EF.Parameter(keyIds).Contains(k.Id)).ToDictionaryAsync(k => k.Id, k => k.Name, ct);
        var users = userIds.Count == 0 ? new Dictionary<string, string>() : await db.Users.AsNoTracking().Where(u => EF.Parameter(userIds).Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        var names = new Dictionary<long, AuditObjectName>(rows.Count);
        foreach (var r in rows)
        {
            string? name = r.TargetType switch
            {
                "Class" => IdOf(r, "Class") is { } c ? classes.GetValueOrDefault(c) : null,
                "Member" => IdOf(r, "Member") is { } m ? members.GetValueOrDefault(m) : null,
                "ApiKey" => IdOf(r, "ApiKey") is { } k ? keys.GetValueOrDefault(k) : null,
                "User" => r.TargetId is { } u ? users.GetValueOrDefault(u) : null,
                _ => null,
            };
            var className = r.TargetType != "Class" && r.ClassId is { } cls ? classes.GetValueOrDefault(cls) : null;
            names[r.Id] = new AuditObjectName(r.TargetType, r.TargetId, name, className);
        }
        return names;
    }

    public const int ActorOptions = 20;

    /// <summary>
    /// Members of the organisation (those the user may see, ADR 0007) whose name or employee number starts with <paramref name="search"/>,
    /// for picking the actor of a search: a prefix range on the (OrganisationId, DisplayName) and (OrganisationId, EmployeeNo) indexes.
    /// </summary>
    public async Task<IReadOnlyList<AuditActorOption>> ActorsAsync(string? search, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        var members = db.Members.AsNoTracking();
        if (ReadScope.VisibleMemberIds(db, user) is { } visible) members = members.Where(m => visible.Contains(m.Id));
        var term = search?.Trim() ?? "";
        IQueryable<Domain.Members.Member> byName = members, byNumber = members;
        if (term.Length > 0)
        {
            // A range rather than LIKE: SQLite's LIKE is case-insensitive and cannot use the index; this can, on both providers.
            var upper = term + "\uffff";
            byName = members.Where(m => m.DisplayName.CompareTo(term) >= 0 && m.DisplayName.CompareTo(upper) < 0);
            byNumber = members.Where(m => m.EmployeeNo.CompareTo(term) >= 0 && m.EmployeeNo.CompareTo(upper) < 0);
        }
        var named = await byName.OrderBy(m => m.DisplayName).ThenBy(m => m.Id).Take(ActorOptions)
            .Select(m => new AuditActorOption(m.Id, m.DisplayName, m.EmployeeNo)).ToListAsync(ct);
        if (term.Length == 0) return named;
        var numbered = await byNumber.OrderBy(m => m.EmployeeNo).Take(ActorOptions)
            .Select(m => new AuditActorOption(m.Id, m.DisplayName, m.EmployeeNo)).ToListAsync(ct);
        return named.Concat(numbered).DistinctBy(o => o.MemberId).Take(ActorOptions).ToList();
    }

    /// <summary>Every matching entry, oldest first, streamed (for the CSV export).</summary>
    public async IAsyncEnumerable<AuditRow> StreamAsync(AuditFilter filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var query = await ApplyAsync(db, filter, ct);
        await foreach (var row in Project(query.OrderBy(a => a.Id)).AsAsyncEnumerable().WithCancellation(ct))
            yield return row;
    }

    /// <summary>
    /// Starts a CSV export: may the signed-in user export the audit log (a refusal is audited and writes no "started" entry)? If so,
    /// commits <c>audit.export_started</c> with the filter before a byte is streamed, and returns the trail that records how it ended.
    /// </summary>
    public async Task<(int? Code, ExportAuditTrail? Trail)> StartExportAsync(AuditFilter filter, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandOrganisationAsync(db, user, PortalAction.ExportAudit, "AuditEntry", null, ct) is { } refused) return (refused, null);
        var trail = await ExportAuditTrail.StartAsync(db, tenantDb, clock, user, "audit.export", "audit.exported", "AuditEntry", null, null, null,
            securityEvent: false, new { filter }, ct);
        return (null, trail);
    }

    /// <summary>
    /// "Verify now": admins and auditors may run it; the verification is recorded with them as the actor (it changes no data but the
    /// audit log itself).
    /// </summary>
    public async Task<(int? Code, ChainVerification? Result)> VerifyNowAsync(CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using (var db = await tenantDb.CreateAsync(ct))
            if (await authorizer.DemandOrganisationAsync(db, user, PortalAction.VerifyAuditChain, "AuditEntry", null, ct) is { } refused) return (refused, null);
        return (null, await chain.VerifyAndRecordAsync(user.OrganisationId, AuditActor.From(user), ct: ct));
    }

    /// <summary>
    /// A signed checkpoint of the organisation's chain as it stands now, for an admin to keep outside the portal (ADR 0010). The
    /// download is recorded first, so the checkpoint covers its own record; it is also appended to the checkpoint file. Admins and
    /// auditors (whoever may verify the chain).
    /// </summary>
    public async Task<(int? Code, SignedCheckpoint? Checkpoint)> DownloadCheckpointAsync(CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using (var db = await tenantDb.CreateAsync(ct))
        {
            if (await authorizer.DemandOrganisationAsync(db, user, PortalAction.VerifyAuditChain, "AuditEntry", null, ct) is { } refused) return (refused, null);
            AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), clock.GetUtcNow(), "audit.checkpoint_downloaded", AuditOutcome.Succeeded, "AuditEntry");
            await db.SaveChangesAsync(ct);
        }
        // A chain that no longer agrees with its last checkpoint gets no new one (it would bless the break): the admin then gets
        // that last trustworthy checkpoint, and Verify names the break.
        return (null, await checkpoints.CheckpointAsync(user.OrganisationId, ct) ?? await checkpoints.LatestAsync(user.OrganisationId, ct));
    }

    /// <summary>
    /// domain.md §6: the leaver loses access at once, but an enterprise admin can search what they wrote in a class (messages still
    /// within retention), giving a reason. Every such search is itself audited.
    /// </summary>
    public async Task<IReadOnlyList<HistoryMessage>?> SearchDepartedHistoryAsync(long memberId, long classId, string reason, string? text, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandClassAsync(db, user, PortalAction.SearchDepartedHistory, classId, memberId, ct) is not null) return null;
        if (string.IsNullOrWhiteSpace(reason) || TextLimits.Exceeds(reason, TextLimits.Reason)) return null;
        var departed = await db.Memberships.AnyAsync(m => m.ClassId == classId && m.MemberId == memberId
            && (m.State == Domain.Classes.MembershipState.Left || m.State == Domain.Classes.MembershipState.Removed), ct);
        if (!departed) return null;
        var query = db.ChatMessages.AsNoTracking().Where(m => m.ClassId == classId && m.SenderMemberId == memberId);
        if (!string.IsNullOrWhiteSpace(text)) query = query.Where(m => m.Body.Contains(text.Trim()));
        var results = await query.OrderByDescending(m => m.SentAt).Take(200).Select(m => new HistoryMessage(m.Id, m.SentAt, m.Body, m.PurgeAfter)).ToListAsync(ct);
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), clock.GetUtcNow(), "audit.history_searched", AuditOutcome.Succeeded, "Member",
            memberId.ToString(), classId, memberId, securityEvent: true, details: new { reason = reason.Trim(), text, results = results.Count });
        await db.SaveChangesAsync(ct);
        return results;
    }

    private async Task<IQueryable<AuditEntry>> ApplyAsync(PortalDbContext db, AuditFilter f, CancellationToken ct)
    {
        var q = db.AuditEntries.AsNoTracking();
        // Slow (a scan of the organisation's entries), said so on the page: a substring of the actor's name, or of name or details.
        if (!string.IsNullOrWhiteSpace(f.Actor)) q = q.Where(a => a.ActorName != null && a.ActorName.Contains(f.Actor.Trim()));
        if (!string.IsNullOrWhiteSpace(f.Text))
        {
            var text = f.Text.Trim();
            q = q.Where(a => (a.ActorName != null && a.ActorName.Contains(text)) || (a.Details != null && a.Details.Contains(text)));
        }
        // Indexed: (OrganisationId, ActorMemberId, Id), (OrganisationId, MemberId), (OrganisationId, ClassId), (OrganisationId, OccurredAt).
        if (f.ActorMemberId is { } actor) q = q.Where(a => a.ActorMemberId == actor);
        if (f.MemberId is { } member) q = q.Where(a => a.MemberId == member || a.ActorMemberId == member);
        if (f.ClassId is { } cls) q = q.Where(a => a.ClassId == cls);
        if (!string.IsNullOrWhiteSpace(f.Action)) q = q.Where(a => a.Action.StartsWith(f.Action.Trim()));
        if (f.Code is { } code) q = q.Where(a => a.Code == code);
        if (f.Outcome is { } outcome) q = q.Where(a => a.Outcome == outcome);
        if (f.SecurityOnly) q = q.Where(a => a.IsSecurityEvent);
        if (f.From is not null || f.To is not null)
        {
            var tz = TimeZoneInfo.FindSystemTimeZoneById(await db.Organisations.Select(o => o.TimeZoneId).FirstAsync(ct));
            if (f.From is { } from)
            {
                var start = from.ToDateTime(TimeOnly.MinValue);
                var utc = new DateTimeOffset(start, tz.GetUtcOffset(start));
                q = q.Where(a => a.OccurredAt >= utc);
            }
            if (f.To is { } to)
            {
                var end = to.AddDays(1).ToDateTime(TimeOnly.MinValue);
                var utc = new DateTimeOffset(end, tz.GetUtcOffset(end));
                q = q.Where(a => a.OccurredAt < utc);
            }
        }
        return q;
    }

    private static IQueryable<AuditRow> Project(IQueryable<AuditEntry> q) =>
        q.Select(a => new AuditRow(a.Id, a.Sequence, a.OccurredAt, a.Action, a.Outcome, a.Code, a.ActorName, a.TargetType, a.TargetId, a.ClassId,
            a.MemberId, a.IsSecurityEvent, a.Details, a.CorrelationId, a.Hash));
}
