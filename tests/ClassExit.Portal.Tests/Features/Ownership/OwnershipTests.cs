using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Exits.Policy;
using ClassExit.Portal.Domain.Ownership;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Features.Ownership;
using ClassExit.Portal.Tests.Features.ExitRequests;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ClassExit.Portal.Tests.Features.Ownership;

[Collection(PortalCollection.Name)]
public class OwnershipTests(PortalFactory factory)
{
    private ClassExit.Portal.Features.Notifications.PortalEvents Events => factory.Services.GetRequiredService<ClassExit.Portal.Features.Notifications.PortalEvents>();

    private async Task<int> OwnersAsync(long classId)
    {
        await using var db = factory.SystemDb();
        return await db.Memberships.CountAsync(m => m.ClassId == classId && m.Role == ClassRole.Owner && (m.State == MembershipState.Active || m.State == MembershipState.ExitPending));
    }

    private async Task<long> MemberOfAsync(string email)
    {
        await using var db = factory.SystemDb();
        return await db.Users.Where(u => u.Email == email).Select(u => u.MemberId!.Value).SingleAsync();
    }

    [Fact]
    public async Task Propose_Accept_RolesSwapDutiesMove_OldOwnerCanThenLeaveAsTeacher()
    {
        var (classId, ownerId, _) = await ExitApiTests.ClassAsync(factory, "物理竞赛班");
        var teacher2 = await MemberOfAsync("teacher2@school.demo");
        Assert.Equal(await MemberOfAsync("teacher@school.demo"), ownerId);

        var (ownerSide, s1) = await factory.ServiceAsAsync<OwnershipService>("teacher@school.demo");
        using var _1 = s1;
        var duties = await ownerSide.OwnerDutiesAsync(classId);
        Assert.NotEmpty(duties);
        var proposed = await ownerSide.ProposeAsync(classId, teacher2, "请接手物理竞赛班", duties.Select(d => (d.Kind, d.Id)).ToList());
        Assert.True(proposed.Succeeded, $"{proposed.Code}");
        Assert.Equal(ErrorCatalogue.TransferAlreadyPending, (await ownerSide.ProposeAsync(classId, teacher2, null, [])).Code);

        var (newSide, s2) = await factory.ServiceAsAsync<OwnershipService>("teacher2@school.demo");
        using var _2 = s2;
        var incoming = (await newSide.MyTransfersAsync()).Single(t => t.Id == proposed.TransferId);
        Assert.Equal(TransferStatus.Pending, incoming.Status);
        Assert.Equal(ErrorCatalogue.TransferNotAddressedToYou, (await ownerSide.AcceptAsync(incoming.Id, incoming.Version)).Code);
        var accepted = await newSide.AcceptAsync(incoming.Id, incoming.Version);
        Assert.True(accepted.Succeeded, $"{accepted.Code}");

        await using (var db = factory.SystemDb())
        {
            Assert.Equal(teacher2, (await db.Classes.SingleAsync(c => c.Id == classId)).OwnerMemberId);
            Assert.Equal(ClassRole.Teacher, (await db.Memberships.SingleAsync(m => m.ClassId == classId && m.MemberId == ownerId)).Role);
            Assert.Equal(ClassRole.Owner, (await db.Memberships.SingleAsync(m => m.ClassId == classId && m.MemberId == teacher2)).Role);
            foreach (var d in duties)
            {
                var holder = d.Kind switch
                {
                    DutyKind.Assignment => await db.Assignments.Where(a => a.Id == d.Id).Select(a => a.ResponsibleMemberId).SingleAsync(),
                    DutyKind.LiveStream => await db.LiveStreams.Where(l => l.Id == d.Id).Select(l => l.HostMemberId).SingleAsync(),
                    _ => await db.Polls.Where(p => p.Id == d.Id).Select(p => p.OwnerMemberId).SingleAsync(),
                };
                Assert.Equal(teacher2, holder);
            }
            Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "ownership.accepted" && a.TargetId == incoming.Id.ToString()));
        }
        Assert.Equal(1, await OwnersAsync(classId));

        // The old owner is a teacher now: their exit goes to approval instead of 50101.
        var (exits, _, s3) = await factory.AsUserAsync("admin@school.demo");
        using var _3 = s3;
        var preview = await exits.PreviewAsync(classId, ownerId);
        Assert.Equal(ExitOutcome.NeedsApproval, preview!.Decision.Outcome);
    }

    [Fact]
    public async Task Propose_RefusalsHaveTheirCodes()
    {
        var (classId, ownerId, members) = await ExitApiTests.ClassAsync(factory, "高三(7)班");
        var (admin, s1) = await factory.ServiceAsAsync<OwnershipService>("admin@school.demo");
        var (stranger, s2) = await factory.ServiceAsAsync<OwnershipService>("teacher@school.demo");
        using var _1 = s1;
        using var _2 = s2;
        var student = members.First(m => m.Role == ClassRole.Student).MemberId;
        var teacher = members.First(m => m.Role == ClassRole.Teacher).MemberId;
        Assert.Equal(ErrorCatalogue.TransferTargetNotEligible, (await admin.ProposeAsync(classId, student, null, [])).Code);
        Assert.Equal(ErrorCatalogue.TransferTargetNotEligible, (await admin.ProposeAsync(classId, ownerId, null, [])).Code);
        Assert.Equal(ErrorCatalogue.Forbidden, (await stranger.ProposeAsync(classId, teacher, null, [])).Code);
        Assert.True((await admin.ProposeAsync(classId, teacher, "on behalf of the owner", [])).Succeeded);
    }

    [Fact]
    public async Task AcceptRacingForcedTransfer_LeavesExactlyOneOwner()
    {
        var (classId, ownerId, members) = await ExitApiTests.ClassAsync(factory, "高三(8)班");
        var teachers = members.Where(m => m.Role is ClassRole.Teacher or ClassRole.ClassAdmin).Select(m => m.MemberId).ToList();
        // The proposed owner gets a portal account so that they can accept.
        var email = $"race-{classId}@school.demo";
        await using (var db = factory.SystemDb())
        {
            db.Users.Add(new ClassExit.Portal.Data.Identity.PortalUser { UserName = email, Email = email, OrganisationId = await factory.OrganisationIdAsync(DemoSeeder.SchoolName), MemberId = teachers[0], DisplayName = "race" });
            await db.SaveChangesAsync();
        }
        var (admin, s1) = await factory.ServiceAsAsync<OwnershipService>("admin@school.demo");
        var (target, s2) = await factory.ServiceAsAsync<OwnershipService>(email);
        using var _1 = s1;
        using var _2 = s2;
        var proposed = await admin.ProposeAsync(classId, teachers[0], null, []);
        var row = (await target.MyTransfersAsync()).Single(t => t.Id == proposed.TransferId);

        var results = await Task.WhenAll(
            Task.Run(() => target.AcceptAsync(row.Id, row.Version)),
            Task.Run(() => target.AcceptAsync(row.Id, row.Version)),
            Task.Run(() => admin.ForceAsync(classId, teachers[1], DemoSeeder.Password, "owner resigned")));

        Assert.True(results.Count(r => r.Succeeded) >= 1);
        Assert.True(results.Take(2).Count(r => r.Succeeded) <= 1, "two accepts of one proposal both succeeded");
        Assert.Equal(1, await OwnersAsync(classId));
        await using var check = factory.SystemDb();
        var owner = (await check.Classes.SingleAsync(c => c.Id == classId)).OwnerMemberId;
        Assert.Equal(ClassRole.Owner, (await check.Memberships.SingleAsync(m => m.ClassId == classId && m.MemberId == owner)).Role);
        Assert.NotEqual(ownerId, owner);
    }

    [Fact]
    public async Task ForcedTransfer_NeedsStepUpAndIsASecurityEvent()
    {
        var (classId, ownerId, members) = await ExitApiTests.ClassAsync(factory, "数学建模兴趣班");
        var (admin, s1) = await factory.ServiceAsAsync<OwnershipService>("admin@school.demo");
        using var _1 = s1;
        var atRisk = await admin.AtRiskAsync();
        Assert.Contains(atRisk, r => r.ClassId == classId);
        var successor = members.First(m => m.Role == ClassRole.Teacher).MemberId;
        Assert.Equal(ErrorCatalogue.StepUpFailed, (await admin.ForceAsync(classId, successor, "wrong", "resigned")).Code);
        Assert.True((await admin.ForceAsync(classId, successor, DemoSeeder.Password, "owner resigned")).Succeeded);
        Assert.DoesNotContain(await admin.AtRiskAsync(), r => r.ClassId == classId);
        await using var db = factory.SystemDb();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "ownership.forced" && a.ClassId == classId && a.IsSecurityEvent));
        Assert.Equal(1, await OwnersAsync(classId));
    }

    [Fact]
    public async Task ExpiryJob_ExpiresOnceAfterSevenDays_AcceptThenRefused50503OrNotPending()
    {
        var (classId, _, members) = await ExitApiTests.ClassAsync(factory, "高三(9)班");
        var (admin, s1) = await factory.ServiceAsAsync<OwnershipService>("admin@school.demo");
        using var _1 = s1;
        var proposed = await admin.ProposeAsync(classId, members.First(m => m.Role == ClassRole.Teacher).MemberId, null, []);
        var dbFactory = factory.Services.GetRequiredService<IDbContextFactory<ClassExit.Portal.Data.PortalDbContext>>();
        Assert.Equal(0, await new TransferExpiryJob(dbFactory, new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(6)), Events).RunAsync(CancellationToken.None));
        var later = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(8));
        Assert.True(await new TransferExpiryJob(dbFactory, later, Events).RunAsync(CancellationToken.None) >= 1);
        Assert.Equal(0, await new TransferExpiryJob(dbFactory, later, Events).RunAsync(CancellationToken.None));
        await using var db = factory.SystemDb();
        Assert.Equal(TransferStatus.Expired, (await db.OwnershipTransfers.SingleAsync(t => t.Id == proposed.TransferId)).Status);
    }

    [Fact]
    public async Task Dissolve_EveryoneLeavesWithRetention_ClassReadOnly()
    {
        var (classId, ownerId, members) = await ExitApiTests.ClassAsync(factory, "高三(10)班");
        var (dissolution, s1) = await factory.ServiceAsAsync<DissolutionService>("admin@school.demo");
        using var _1 = s1;
        var preview = await dissolution.PreviewAsync(classId);
        Assert.Equal(members.Count, preview!.MembersLeaving);
        Assert.Equal(ErrorCatalogue.RejectReasonRequired, (await dissolution.DissolveAsync(classId, " ", DemoSeeder.Password)).Code);
        Assert.True((await dissolution.DissolveAsync(classId, "学期结束合班", DemoSeeder.Password)).Succeeded);
        Assert.Equal(ErrorCatalogue.ClassDissolved, (await dissolution.DissolveAsync(classId, "again", DemoSeeder.Password)).Code);

        await using var db = factory.SystemDb();
        Assert.Equal(ClassStatus.Dissolved, (await db.Classes.SingleAsync(c => c.Id == classId)).Status);
        Assert.False(await db.Memberships.AnyAsync(m => m.ClassId == classId && (m.State == MembershipState.Active || m.State == MembershipState.ExitPending)));
        var studentMessages = await (from m in db.ChatMessages join ms in db.Memberships on new { m.ClassId, M = m.SenderMemberId } equals new { ms.ClassId, M = ms.MemberId }
                                     where m.ClassId == classId && ms.Role == ClassRole.Student select m).ToListAsync();
        Assert.All(studentMessages, m => Assert.NotNull(m.PurgeAfter));
        Assert.Equal(members.Count, await db.ExitRequests.CountAsync(e => e.ClassId == classId && e.Kind == ExitKind.Dissolution && e.Status == ExitRequestStatus.Completed));
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "class.dissolved" && a.ClassId == classId));
        // Nobody can leave a dissolved class any more.
        var (exits, _, s2) = await factory.AsUserAsync("admin@school.demo");
        using var _2 = s2;
        Assert.Equal(ErrorCatalogue.ClassDissolved, (await exits.PreviewAsync(classId, ownerId))!.Decision.PrimaryCode);
    }
}
