using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Exits.Policy;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Retention;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Hangfire;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Retention;

public sealed record RetentionRunRow(long Id, string Trigger, RetentionRunState State, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, int DueAtStart,
    int MessagesPurged, int ReceiptsPurged, int SkippedForHolds, int Batches, long LongestBatchMilliseconds, string IdsDigest)
{
    public double Progress => DueAtStart == 0 ? 100 : Math.Min(100, 100.0 * MessagesPurged / DueAtStart);
}

public sealed record HoldRow(long Id, long? ClassId, string? ClassName, long? MemberId, string? MemberName, string Reason, DateTimeOffset PlacedAt,
    DateTimeOffset? EndsAt, DateTimeOffset? ReleasedAt, bool Active);

/// <summary>One class in a departed member's retention timeline.</summary>
public sealed record TimelineRow(long ClassId, string ClassName, ClassRole Role, MembershipState State, DateTimeOffset? LeftAt, int MessagesKept,
    DateTimeOffset? PurgeAfter, string Why, bool Held);

public sealed record UpcomingDay(DateOnly Day, int Messages);

public sealed record ReplayRow(long Id, string Title, string CreatorName, IReadOnlyList<(long GrantId, long MemberId, string MemberName)> Grants);

/// <summary>Retention as admins and auditors see it: runs, holds, timelines, upcoming purges, replay grants.</summary>
public sealed class RetentionService(TenantDb tenantDb, TimeProvider clock, IBackgroundJobClient jobs, PortalAuthorizer authorizer, StepUpVerifier stepUp)
{
    public async Task<IReadOnlyList<RetentionRunRow>> RunsAsync(CancellationToken ct = default)
    {
        if (!ReadScope.ReadsOrganisation(await tenantDb.UserAsync())) return [];
        await using var db = await tenantDb.CreateAsync(ct);
        return await db.RetentionRuns.AsNoTracking().OrderByDescending(r => r.Id).Take(50)
            .Select(r => new RetentionRunRow(r.Id, r.Trigger, r.State, r.StartedAt, r.FinishedAt, r.DueAtStart, r.MessagesPurged, r.ReceiptsPurged,
                r.SkippedForHolds, r.Batches, r.LongestBatchMilliseconds, r.IdsDigest)).ToListAsync(ct);
    }

    /// <summary>What "Run now" would purge at this moment: messages due and not held, and how many leavers sent them.</summary>
    public async Task<(int Messages, int Leavers)> DueNowAsync(CancellationToken ct = default)
    {
        if (!ReadScope.ReadsOrganisation(await tenantDb.UserAsync())) return (0, 0);
        await using var db = await tenantDb.CreateAsync(ct);
        var due = RetentionPurgeJob.Due(db, clock.GetUtcNow());
        return (await due.CountAsync(ct), await due.Select(m => m.SenderMemberId).Distinct().CountAsync(ct));
    }

    /// <summary>"Run now": queues a purge of this organisation on the job server; the page follows its progress. Null when refused.
    /// Asks for step-up (<paramref name="password"/>: the password or authenticator code, empty inside the window; 50404 otherwise).</summary>
    public async Task<(int? Code, string? JobId)> RunNowAsync(string password, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandOrganisationAsync(db, user, PortalAction.RunPurge, "RetentionRun", null, ct) is { } refused) return (refused, null);
        if (!await stepUp.VerifyAsync(user, password, "retention.run_requested", db, ct)) return (ErrorCatalogue.StepUpFailed, null);
        var jobId = jobs.Enqueue<RetentionPurgeJob>(j => j.RunForOrganisationAsync(user.OrganisationId, "manual", CancellationToken.None));
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), clock.GetUtcNow(), "retention.run_requested", AuditOutcome.Succeeded, "RetentionRun", null,
            details: new { job = jobId });
        await db.SaveChangesAsync(ct);
        return (null, jobId);
    }

    public async Task<IReadOnlyList<HoldRow>> HoldsAsync(CancellationToken ct = default)
    {
        if (!ReadScope.ReadsOrganisation(await tenantDb.UserAsync())) return [];
        await using var db = await tenantDb.CreateAsync(ct);
        var now = clock.GetUtcNow();
        return await db.LegalHolds.AsNoTracking().OrderByDescending(h => h.Id)
            .Select(h => new HoldRow(h.Id, h.ClassId, db.Classes.Where(c => c.Id == h.ClassId).Select(c => c.Name).FirstOrDefault(), h.MemberId,
                db.Members.Where(m => m.Id == h.MemberId).Select(m => m.DisplayName).FirstOrDefault(), h.Reason, h.PlacedAt, h.EndsAt, h.ReleasedAt,
                h.ReleasedAt == null && (h.EndsAt == null || h.EndsAt > now)))
            .ToListAsync(ct);
    }

    public async Task<int?> PlaceHoldAsync(long? classId, long? memberId, string reason, DateTimeOffset? endsAt, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        var refused = classId is { } c
            ? await authorizer.DemandClassAsync(db, user, PortalAction.ManageLegalHolds, c, memberId, ct)
            : await authorizer.DemandAsync(db, user, PortalAction.ManageLegalHolds, new AccessTarget(null, null, memberId), "LegalHold", null, ct);
        if (refused is not null) return refused;
        if (string.IsNullOrWhiteSpace(reason)) return ErrorCatalogue.RejectReasonRequired;
        if (await InputLimits.CheckAsync(db, user, clock, "retention.hold_placed", ct, new TextInput("hold_reason", reason, TextLimits.Reason)) is { } tooLong)
            return tooLong;
        if ((classId is null) == (memberId is null)) return ErrorCatalogue.MalformedRequest;
        if (classId is not null && !await db.Classes.AnyAsync(c => c.Id == classId, ct)) return ErrorCatalogue.NotFound;
        if (memberId is not null && !await db.Members.AnyAsync(m => m.Id == memberId, ct))
            return await authorizer.NotFoundAsync(db, user, PortalAction.ManageLegalHolds, "Member", memberId.ToString(), ct);
        var now = clock.GetUtcNow();
        var hold = new LegalHold(user.OrganisationId, classId, memberId, reason.Trim(), user.MemberId ?? 0, now, endsAt);
        db.LegalHolds.Add(hold);
        await db.SaveChangesAsync(ct);
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), now, "legal_hold.placed", AuditOutcome.Succeeded, "LegalHold", hold.Id.ToString(),
            classId, memberId, securityEvent: true, details: new { reason, ends_at = endsAt });
        await db.SaveChangesAsync(ct);
        return null;
    }

    /// <summary>Releases a legal hold; asks for step-up (<paramref name="password"/>, 50404 when it fails).</summary>
    public async Task<int?> ReleaseHoldAsync(long holdId, string password, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandOrganisationAsync(db, user, PortalAction.ManageLegalHolds, "LegalHold", holdId.ToString(), ct) is { } refused) return refused;
        var hold = await db.LegalHolds.SingleOrDefaultAsync(h => h.Id == holdId && h.ReleasedAt == null, ct);
        if (hold is null) return await authorizer.NotFoundAsync(db, user, PortalAction.ManageLegalHolds, "LegalHold", holdId.ToString(), ct);
        if (!await stepUp.VerifyAsync(user, password, "legal_hold.released", db, ct)) return ErrorCatalogue.StepUpFailed;
        var now = clock.GetUtcNow();
        hold.Release(now);
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), now, "legal_hold.released", AuditOutcome.Succeeded, "LegalHold", hold.Id.ToString(),
            hold.ClassId, hold.MemberId, securityEvent: true);
        await db.SaveChangesAsync(ct);
        return null;
    }

    /// <summary>Per class the member left: how many of their messages are kept, until when, and why.</summary>
    public async Task<IReadOnlyList<TimelineRow>> TimelineAsync(long memberId, CancellationToken ct = default)
    {
        if (!ReadScope.ReadsOrganisation(await tenantDb.UserAsync())) return [];
        await using var db = await tenantDb.CreateAsync(ct);
        var now = clock.GetUtcNow();
        var activeHolds = db.LegalHolds.Where(LegalHold.ActiveAt(now));
        var org = await db.Organisations.AsNoTracking().FirstAsync(ct);
        var member = await db.Members.AsNoTracking().SingleOrDefaultAsync(m => m.Id == memberId, ct);
        if (member is null) return [];
        var rows = await (from ms in db.Memberships.AsNoTracking()
                          join c in db.Classes on ms.ClassId equals c.Id
                          where ms.MemberId == memberId && (ms.State == MembershipState.Left || ms.State == MembershipState.Removed)
                          select new
                          {
                              c.Id, c.Name, c.Classification, ms.Role, ms.State, ms.LeftAt,
                              Kept = db.ChatMessages.Count(m => m.ClassId == c.Id && m.SenderMemberId == memberId),
                              PurgeAfter = db.ChatMessages.Where(m => m.ClassId == c.Id && m.SenderMemberId == memberId).Max(m => m.PurgeAfter),
                              Held = activeHolds.Any(h => h.ClassId == c.Id || h.MemberId == memberId),
                          }).ToListAsync(ct);
        return rows.Select(r =>
        {
            var days = RetentionRules.RetentionDays(r.Role, member.IsEnterpriseAdmin, r.Classification, org.Policy);
            var why = r.Held ? Text.Get("Retention.WhyHeld")
                : days is null ? Text.Get("Retention.WhyAdmin")
                : r.Classification == Classification.Classified ? Text.Format("Retention.WhyClassified", days)
                : r.Role == ClassRole.Student ? Text.Format("Retention.WhyStudent", days) : Text.Format("Retention.WhyTeacher", days);
            return new TimelineRow(r.Id, r.Name, r.Role, r.State, r.LeftAt, r.Kept, r.Held ? null : r.PurgeAfter, why, r.Held);
        }).ToList();
    }

    /// <summary>Messages due per local day for the next 30 days (held ones excluded).</summary>
    public async Task<IReadOnlyList<UpcomingDay>> UpcomingAsync(CancellationToken ct = default)
    {
        if (!ReadScope.ReadsOrganisation(await tenantDb.UserAsync())) return [];
        await using var db = await tenantDb.CreateAsync(ct);
        var now = clock.GetUtcNow();
        var activeHolds = db.LegalHolds.Where(LegalHold.ActiveAt(now));
        var until = now.AddDays(30);
        var tz = TimeZoneInfo.FindSystemTimeZoneById((await db.Organisations.Select(o => o.TimeZoneId).FirstAsync(ct)));
        var dates = await db.ChatMessages.Where(m => m.PurgeAfter != null && m.PurgeAfter > now && m.PurgeAfter <= until && !m.RetainedPermanently
                && !activeHolds.Any(h => h.ClassId == m.ClassId || h.MemberId == m.SenderMemberId))
            .Select(m => m.PurgeAfter!.Value).ToListAsync(ct);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, tz).DateTime);
        var counts = dates.GroupBy(d => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(d, tz).DateTime)).ToDictionary(g => g.Key, g => g.Count());
        return Enumerable.Range(0, 31).Select(i => today.AddDays(i)).Select(d => new UpcomingDay(d, counts.GetValueOrDefault(d))).ToList();
    }

    /// <summary>The class's private replays and their grants; empty when the class is not visible to the caller (ADR 0007).</summary>
    public async Task<IReadOnlyList<ReplayRow>> PrivateReplaysAsync(long classId, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        if (ReadScope.VisibleClassIds(db, await tenantDb.UserAsync()) is { } visible && !await visible.ContainsAsync(classId, ct)) return [];
        var replays = await db.LiveReplays.AsNoTracking().Where(r => r.ClassId == classId && r.Visibility == ReplayVisibility.Private)
            .Select(r => new { r.Id, r.Title, Creator = db.Members.Where(m => m.Id == r.CreatorMemberId).Select(m => m.DisplayName).FirstOrDefault() ?? "" })
            .ToListAsync(ct);
        var ids = replays.Select(r => r.Id).ToList();
        var grants = await (from g in db.ReplayGrants join m in db.Members on g.MemberId equals m.Id
                            where ids.Contains(g.ReplayId) && g.RevokedAt == null select new { GrantId = g.Id, g.ReplayId, MemberId = m.Id, m.DisplayName }).ToListAsync(ct);
        return replays.Select(r => new ReplayRow(r.Id, r.Title, r.Creator,
            grants.Where(g => g.ReplayId == r.Id).Select(g => (g.GrantId, g.MemberId, g.DisplayName)).ToList())).ToList();
    }

    /// <summary>The class owner or an enterprise admin lets a named member watch a private replay.</summary>
    public async Task<int?> GrantReplayAsync(long replayId, long memberId, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        var replay = await db.LiveReplays.SingleOrDefaultAsync(r => r.Id == replayId, ct);
        if (replay is null || !await db.Members.AnyAsync(m => m.Id == memberId, ct))
            return await authorizer.NotFoundAsync(db, user, PortalAction.ManageReplayGrants, "LiveReplay", replayId.ToString(), ct);
        var target = await PortalAuthorizer.ClassTargetAsync(db, user, replay.ClassId, memberId, ct);
        if (await authorizer.DemandAsync(db, user, PortalAction.ManageReplayGrants, target, "LiveReplay", replayId.ToString(), ct) is { } refused) return refused;
        if (await db.ReplayGrants.AnyAsync(g => g.ReplayId == replayId && g.MemberId == memberId && g.RevokedAt == null, ct)) return null;
        var now = clock.GetUtcNow();
        db.ReplayGrants.Add(new ReplayGrant(replay.OrganisationId, replayId, memberId, user.MemberId ?? 0, now));
        AuditLog.Add(db, replay.OrganisationId, AuditActor.From(user), now, "replay.granted", AuditOutcome.Succeeded, "LiveReplay", replayId.ToString(),
            replay.ClassId, memberId);
        await db.SaveChangesAsync(ct);
        return null;
    }

    public async Task<int?> RevokeReplayGrantAsync(long grantId, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        var grant = await db.ReplayGrants.AsNoTracking().SingleOrDefaultAsync(g => g.Id == grantId && g.RevokedAt == null, ct);
        if (grant is null) return await authorizer.NotFoundAsync(db, user, PortalAction.ManageReplayGrants, "ReplayGrant", grantId.ToString(), ct);
        var replay = await db.LiveReplays.AsNoTracking().SingleAsync(r => r.Id == grant.ReplayId, ct);
        var target = await PortalAuthorizer.ClassTargetAsync(db, user, replay.ClassId, grant.MemberId, ct);
        if (await authorizer.DemandAsync(db, user, PortalAction.ManageReplayGrants, target, "LiveReplay", replay.Id.ToString(), ct) is { } refused) return refused;
        grant = await db.ReplayGrants.SingleAsync(g => g.Id == grantId, ct);
        var now = clock.GetUtcNow();
        grant.Revoke(now);
        AuditLog.Add(db, replay.OrganisationId, AuditActor.From(user), now, "replay.grant_revoked", AuditOutcome.Succeeded, "LiveReplay", replay.Id.ToString(),
            replay.ClassId, grant.MemberId);
        await db.SaveChangesAsync(ct);
        return null;
    }

    /// <summary>Longest legal-hold reason kept; longer text is refused with 40002.</summary>
    public const int MaxReasonLength = TextLimits.Reason;
}
