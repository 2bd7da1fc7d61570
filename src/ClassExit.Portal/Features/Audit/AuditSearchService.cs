using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Audit;

/// <summary>Audit search filters. Dates are the organisation's local calendar days.</summary>
public sealed record AuditFilter(string? Actor = null, long? MemberId = null, long? ClassId = null, string? Action = null, int? Code = null,
    bool SecurityOnly = false, DateOnly? From = null, DateOnly? To = null, AuditOutcome? Outcome = null);

public sealed record AuditRow(long Id, long? Sequence, DateTimeOffset OccurredAt, string Action, AuditOutcome Outcome, int? Code, string? ActorName,
    string? TargetType, string? TargetId, long? ClassId, long? MemberId, bool IsSecurityEvent, string? Details, string CorrelationId, string? Hash);

/// <summary>A keyset page: newest first; <see cref="OlderCursor"/> / <see cref="NewerCursor"/> continue from its ends.</summary>
public sealed record AuditResultPage(IReadOnlyList<AuditRow> Items, long? OlderCursor, long? NewerCursor);

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
        var hasNewer = await query.AnyAsync(a => a.Id > newest, ct);
        return new AuditResultPage(rows, hasOlder ? oldest : null, hasNewer ? newest : null);
    }

    /// <summary>Every matching entry, oldest first, streamed (for the CSV export).</summary>
    public async IAsyncEnumerable<AuditRow> StreamAsync(AuditFilter filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var query = await ApplyAsync(db, filter, ct);
        await foreach (var row in Project(query.OrderBy(a => a.Id)).AsAsyncEnumerable().WithCancellation(ct))
            yield return row;
    }

    /// <summary>May the signed-in user export the audit log? Refusals are audited. Call before streaming a byte.</summary>
    public async Task<int?> AuthorizeExportAsync(CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        return await authorizer.DemandOrganisationAsync(db, user, PortalAction.ExportAudit, "AuditEntry", null, ct);
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
    /// A signed checkpoint of the organisation's chain as it stands now, for an admin to keep outside the portal (ADR 0009). The
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

    public async Task RecordExportAsync(AuditFilter filter, int rows, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandOrganisationAsync(db, user, PortalAction.ExportAudit, "AuditEntry", null, ct) is not null) return;
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), clock.GetUtcNow(), "audit.exported", AuditOutcome.Succeeded, "AuditEntry", null,
            details: new { filter, rows });
        await db.SaveChangesAsync(ct);
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
        if (string.IsNullOrWhiteSpace(reason) || reason.Trim().Length > 500) return null;
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
        if (!string.IsNullOrWhiteSpace(f.Actor)) q = q.Where(a => a.ActorName != null && a.ActorName.Contains(f.Actor.Trim()));
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
