using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Tests.Features.Classes;

/// <summary>
/// <c>Classes.MemberCount</c> (the classes grid sorts on it) is kept by the database in the statement of every membership change:
/// tracked saves, set-based updates and deletes alike (MemberCounts, migration PerfCounts).
/// </summary>
[Collection(PortalCollection.Name)]
public class MemberCountTests(PortalFactory factory)
{
    private static async Task<Dictionary<long, (int Stored, int Counted)>> CountsAsync(PortalDbContext db, IReadOnlyCollection<long>? classIds = null)
    {
        var classes = db.Classes.AsNoTracking().Where(c => classIds == null || classIds.Contains(c.Id));
        return await classes.Select(c => new
            {
                c.Id,
                Stored = EF.Property<int>(c, MemberCounts.Column),
                Counted = db.Memberships.Count(m => m.ClassId == c.Id && (m.State == MembershipState.Active || m.State == MembershipState.ExitPending)),
            })
            .ToDictionaryAsync(x => x.Id, x => (x.Stored, x.Counted));
    }

    [Fact]
    public async Task TheDemo_EveryClassesCount_IsItsCurrentMembers()
    {
        await using var db = factory.SystemDb();
        var counts = await CountsAsync(db);
        Assert.NotEmpty(counts);
        Assert.Contains(counts.Values, c => c.Counted > 0);
        Assert.All(counts, kv => Assert.Equal(kv.Value.Counted, kv.Value.Stored));
    }

    [Fact]
    public async Task TrackedChanges_SetBasedUpdates_MovesAndDeletes_KeepTheCount()
    {
        // Own data: an organisation of its own, two classes, five members.
        await using var db = factory.SystemDb();
        var org = new Organisation("计数 " + Guid.NewGuid().ToString("N")[..6], "Asia/Shanghai", OrganisationKind.Enterprise);
        db.Organisations.Add(org);
        await db.SaveChangesAsync();
        var members = Enumerable.Range(0, 5).Select(i => new Member(org.Id, $"成员{i}", $"MC-{i}")).ToList();
        db.Members.AddRange(members);
        await db.SaveChangesAsync();
        var a = new ClassGroup(org.Id, "计数甲班", members[0].Id, new DateOnly(2027, 7, 1), DateTimeOffset.UtcNow);
        var b = new ClassGroup(org.Id, "计数乙班", members[0].Id, new DateOnly(2027, 7, 1), DateTimeOffset.UtcNow);
        db.Classes.AddRange(a, b);
        await db.SaveChangesAsync();
        // Added in the same save as the class's first members would be: inserts count.
        var inA = members.Take(4).Select((m, i) => new Membership(org.Id, a.Id, m.Id, i == 0 ? ClassRole.Owner : ClassRole.Student, DateTimeOffset.UtcNow)).ToList();
        db.Memberships.AddRange(inA);
        db.Memberships.Add(new Membership(org.Id, b.Id, members[0].Id, ClassRole.Owner, DateTimeOffset.UtcNow));
        await db.SaveChangesAsync();
        long[] ids = [a.Id, b.Id];
        Assert.Equal((4, 1), ((await CountsAsync(db, ids))[a.Id].Stored, (await CountsAsync(db, ids))[b.Id].Stored));

        // Tracked: exit pending (still counted), a forced leave (no longer), a new membership in b.
        inA[1].MarkExitPending();
        inA[2].Leave(DateTimeOffset.UtcNow, forced: true);
        db.Memberships.Add(new Membership(org.Id, b.Id, members[4].Id, ClassRole.Student, DateTimeOffset.UtcNow));
        await db.SaveChangesAsync();
        var tracked = await CountsAsync(db, ids);
        Assert.Equal((3, 2), (tracked[a.Id].Stored, tracked[b.Id].Stored));
        Assert.All(tracked, kv => Assert.Equal(kv.Value.Counted, kv.Value.Stored));

        // Set-based: the one who left back to active, one moved from a to b, one deleted, an already-left one deleted (no change).
        await db.Memberships.Where(m => m.Id == inA[2].Id).ExecuteUpdateAsync(s => s.SetProperty(m => m.State, MembershipState.Active));
        await db.Memberships.Where(m => m.Id == inA[3].Id).ExecuteUpdateAsync(s => s.SetProperty(m => m.ClassId, b.Id));
        await db.Memberships.Where(m => m.ClassId == b.Id && m.MemberId == members[4].Id).ExecuteUpdateAsync(s => s.SetProperty(m => m.State, MembershipState.Left));
        await db.Memberships.Where(m => m.ClassId == b.Id && m.MemberId == members[4].Id).ExecuteDeleteAsync();
        await db.Memberships.Where(m => m.Id == inA[1].Id).ExecuteDeleteAsync();
        var setBased = await CountsAsync(db, ids);
        Assert.Equal((2, 2), (setBased[a.Id].Stored, setBased[b.Id].Stored));
        Assert.All(setBased, kv => Assert.Equal(kv.Value.Counted, kv.Value.Stored));
    }
}
