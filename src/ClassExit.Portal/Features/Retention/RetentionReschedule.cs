using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Exits.Policy;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Retention;

/// <summary>What a retention change does to the messages of people who have already left.</summary>
public sealed record RetentionShift(int Leavers, int MessagesBecomingDue, int MessagesEarlier, int MessagesLater, int MessagesKeptForGood)
{
    public static readonly RetentionShift None = new(0, 0, 0, 0, 0);
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Any => MessagesBecomingDue + MessagesEarlier + MessagesLater + MessagesKeptForGood > 0;
}

/// <summary>
/// A retention period belongs to the policy, not to the exit: when an admin changes it (or a class's classification), the purge date
/// of every earlier leaver's messages is recomputed from the time they left. Held messages keep their dates and stay protected by the
/// hold. The same plan serves the preview (counts) and the save (updates), so what the admin sees is what happens.
/// </summary>
internal static class RetentionReschedule
{
    private sealed record Leaver(long ClassId, long MemberId, int Messages, DateTimeOffset? CurrentPurgeAfter, bool Permanent);

    private sealed record Change(Leaver Leaver, DateTimeOffset? NewPurgeAfter);

    public static async Task<RetentionShift> PreviewAsync(PortalDbContext db, ExitPolicy policy, DateTimeOffset now,
        Func<long, Classification>? classificationOverride, long? onlyClassId, CancellationToken ct)
    {
        var changes = await PlanAsync(db, policy, classificationOverride, onlyClassId, ct);
        return Summarise(changes, now);
    }

    public static async Task<RetentionShift> ApplyAsync(PortalDbContext db, ExitPolicy policy, DateTimeOffset now,
        Func<long, Classification>? classificationOverride, long? onlyClassId, CancellationToken ct)
    {
        var changes = await PlanAsync(db, policy, classificationOverride, onlyClassId, ct);
        foreach (var c in changes)
        {
            var permanent = c.NewPurgeAfter is null;
            await db.ChatMessages.Where(m => m.ClassId == c.Leaver.ClassId && m.SenderMemberId == c.Leaver.MemberId)
                .ExecuteUpdateAsync(u => u.SetProperty(m => m.PurgeAfter, c.NewPurgeAfter).SetProperty(m => m.RetainedPermanently, permanent), ct);
        }
        return Summarise(changes, now);
    }

    private static RetentionShift Summarise(IReadOnlyList<Change> changes, DateTimeOffset now) => new(
        changes.Count,
        changes.Where(c => c.NewPurgeAfter <= now && !(c.Leaver.CurrentPurgeAfter <= now)).Sum(c => c.Leaver.Messages),
        changes.Where(c => c.NewPurgeAfter > now && (c.Leaver.Permanent || c.NewPurgeAfter < c.Leaver.CurrentPurgeAfter)).Sum(c => c.Leaver.Messages),
        changes.Where(c => c.NewPurgeAfter > now && !c.Leaver.Permanent && c.NewPurgeAfter > c.Leaver.CurrentPurgeAfter).Sum(c => c.Leaver.Messages),
        changes.Where(c => c.NewPurgeAfter is null).Sum(c => c.Leaver.Messages));

    private static async Task<List<Change>> PlanAsync(PortalDbContext db, ExitPolicy policy, Func<long, Classification>? classificationOverride,
        long? onlyClassId, CancellationToken ct)
    {
        var leavers = db.Memberships.AsNoTracking()
            .Where(ms => (ms.State == MembershipState.Left || ms.State == MembershipState.Removed) && ms.LeftAt != null);
        if (onlyClassId is { } only) leavers = leavers.Where(ms => ms.ClassId == only);
        var rows = await (from ms in leavers
                          join c in db.Classes on ms.ClassId equals c.Id
                          join m in db.Members on ms.MemberId equals m.Id
                          where db.ChatMessages.Any(x => x.ClassId == ms.ClassId && x.SenderMemberId == ms.MemberId)
                          select new
                          {
                              ms.ClassId, ms.MemberId, ms.Role, m.OrgRole, c.Classification, LeftAt = ms.LeftAt!.Value,
                              Messages = db.ChatMessages.Count(x => x.ClassId == ms.ClassId && x.SenderMemberId == ms.MemberId),
                              Permanent = db.ChatMessages.Any(x => x.ClassId == ms.ClassId && x.SenderMemberId == ms.MemberId && x.RetainedPermanently),
                              // Every message of one leaver in one class carries the same purge date (set at the exit).
                              PurgeAfter = db.ChatMessages.Where(x => x.ClassId == ms.ClassId && x.SenderMemberId == ms.MemberId && x.PurgeAfter != null)
                                  .OrderBy(x => x.Id).Select(x => x.PurgeAfter).FirstOrDefault(),
                          }).ToListAsync(ct);
        var changes = new List<Change>();
        foreach (var r in rows)
        {
            var classification = classificationOverride?.Invoke(r.ClassId) ?? r.Classification;
            var isAdmin = r.OrgRole is OrgRole.EnterpriseAdmin or OrgRole.SuperAdmin;
            var next = RetentionRules.PurgeAfter(r.LeftAt, r.Role, isAdmin, classification, policy);
            var current = r.Permanent ? null : r.PurgeAfter;
            if (next == current) continue;
            changes.Add(new Change(new Leaver(r.ClassId, r.MemberId, r.Messages, current, r.Permanent), next));
        }
        return changes;
    }
}
