using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Infrastructure.Authorization;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Exits.Policy;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Ownership;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Features.Ownership;
using ClassExit.Portal.Tests.Features.ExitRequests;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ClassExit.Portal.Tests.Features.Ownership;

/// <summary>Ownership transfers, forced transfers and dissolution, each test in an organisation of its own (TestOrganisation).</summary>
[Collection(PortalCollection.Name)]
public class OwnershipTests(PortalFactory factory)
{
    private ClassExit.Portal.Features.Notifications.PortalEvents Events => factory.Services.GetRequiredService<ClassExit.Portal.Features.Notifications.PortalEvents>();

    private async Task<int> OwnersAsync(long classId)
    {
        await using var db = factory.SystemDb();
        return await db.Memberships.CountAsync(m => m.ClassId == classId && m.Role == ClassRole.Owner && (m.State == MembershipState.Active || m.State == MembershipState.ExitPending));
    }

    [Fact]
    public async Task Propose_Accept_RolesSwapDutiesMove_OldOwnerCanThenLeaveAsTeacher()
    {
        var org = await TestOrganisation.CreateAsync(factory, "handover");
        var ownerId = await org.AddAccountAsync("owner", OrgRole.Staff, PortalRoles.SchoolStaff);
        var teacher2 = await org.AddAccountAsync("teacher2", OrgRole.Staff, PortalRoles.SchoolStaff);
        var (classId, _, _) = await org.AddClassAsync("物理竞赛班", ownerId: ownerId, alsoTeachers: [teacher2]);
        await org.AddOpenDutiesAsync(classId, ownerId);

        var (ownerSide, s1) = await factory.ServiceAsAsync<OwnershipService>(org.Email("owner"), org.Clock);
        using var _1 = s1;
        var duties = await ownerSide.OwnerDutiesAsync(classId);
        Assert.Equal(2, duties.Count);
        var proposed = await ownerSide.ProposeAsync(classId, teacher2, "请接手物理竞赛班", duties.Select(d => (d.Kind, d.Id)).ToList());
        Assert.True(proposed.Succeeded, $"{proposed.Code}");
        Assert.Equal(ErrorCatalogue.TransferAlreadyPending, (await ownerSide.ProposeAsync(classId, teacher2, null, [])).Code);

        var (newSide, s2) = await factory.ServiceAsAsync<OwnershipService>(org.Email("teacher2"), org.Clock);
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
        var (exits, _, s3) = await factory.AsUserAsync(org.AdminEmail, org.Clock);
        using var _3 = s3;
        var preview = await exits.PreviewAsync(classId, ownerId);
        Assert.Equal(ExitOutcome.NeedsApproval, preview!.Decision.Outcome);
    }

    [Fact]
    public async Task Propose_RefusalsHaveTheirCodes()
    {
        var org = await TestOrganisation.CreateAsync(factory, "propose");
        await org.AddAccountAsync("stranger", OrgRole.Staff, PortalRoles.SchoolStaff);
        var (classId, ownerId, members) = await org.AddClassAsync("propose 班");
        var (admin, s1) = await factory.ServiceAsAsync<OwnershipService>(org.AdminEmail, org.Clock);
        var (stranger, s2) = await factory.ServiceAsAsync<OwnershipService>(org.Email("stranger"), org.Clock);
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
        var org = await TestOrganisation.CreateAsync(factory, "accept-race");
        var (classId, ownerId, members) = await org.AddClassAsync("accept-race 班");
        var teachers = members.Where(m => m.Role is ClassRole.Teacher or ClassRole.ClassAdmin).Select(m => m.MemberId).ToList();
        // The proposed owner gets a portal account so that they can accept.
        var email = await org.GiveAccountAsync(teachers[0], "proposed", PortalRoles.SchoolStaff);
        var (admin, s1) = await factory.ServiceAsAsync<OwnershipService>(org.AdminEmail, org.Clock);
        var (target, s2) = await factory.ServiceAsAsync<OwnershipService>(email, org.Clock);
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
        var org = await TestOrganisation.CreateAsync(factory, "forced");
        var (classId, ownerId, members) = await org.AddClassAsync("forced 班");
        await using (var db = factory.SystemDb())
        {
            (await db.Members.SingleAsync(m => m.Id == ownerId)).SetResignation(ResignationState.InProgress);
            await db.SaveChangesAsync();
        }
        var (admin, s1) = await factory.ServiceAsAsync<OwnershipService>(org.AdminEmail, org.Clock);
        using var _1 = s1;
        var atRisk = await admin.AtRiskAsync();
        Assert.Contains(atRisk, r => r.ClassId == classId);
        var successor = members.First(m => m.Role == ClassRole.Teacher).MemberId;
        Assert.Equal(ErrorCatalogue.StepUpFailed, (await admin.ForceAsync(classId, successor, "wrong", "resigned")).Code);
        Assert.True((await admin.ForceAsync(classId, successor, DemoSeeder.Password, "owner resigned")).Succeeded);
        Assert.DoesNotContain(await admin.AtRiskAsync(), r => r.ClassId == classId);
        await using var check = factory.SystemDb();
        Assert.True(await check.AuditEntries.AnyAsync(a => a.Action == "ownership.forced" && a.ClassId == classId && a.IsSecurityEvent));
        Assert.Equal(1, await OwnersAsync(classId));
    }

    [Fact]
    public async Task ExpiryJob_ExpiresOnceAfterSevenDays_AcceptRefused50503BeforeTheJob_50505After()
    {
        var org = await TestOrganisation.CreateAsync(factory, "expiry");
        var c = await org.AddClassAsync("expiry 班");
        var email = await org.GiveAccountAsync(c.Teachers[0], "proposed", PortalRoles.SchoolStaff);
        var (admin, s1) = await factory.ServiceAsAsync<OwnershipService>(org.AdminEmail, org.Clock);
        var (target, s2) = await factory.ServiceAsAsync<OwnershipService>(email, org.Clock);
        using var _1 = s1;
        using var _2 = s2;
        var proposed = await admin.ProposeAsync(c.ClassId, c.Teachers[0], null, []);
        Assert.True(proposed.Succeeded, $"{proposed.Code}");
        var row = (await target.MyTransfersAsync()).Single(t => t.Id == proposed.TransferId);
        var dbFactory = factory.Services.GetRequiredService<IDbContextFactory<ClassExit.Portal.Data.PortalDbContext>>();
        var job = new TransferExpiryJob(dbFactory, org.Clock, Events);

        org.Clock.Advance(TimeSpan.FromDays(6));
        await job.RunAsync(CancellationToken.None);
        await using (var db = factory.SystemDb())
            Assert.Equal(TransferStatus.Pending, (await db.OwnershipTransfers.SingleAsync(t => t.Id == proposed.TransferId)).Status);

        // Past seven days the proposal can no longer be accepted, even before the job has marked it.
        org.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(ErrorCatalogue.TransferExpired, (await target.AcceptAsync(row.Id, row.Version)).Code);
        Assert.True(await job.RunAsync(CancellationToken.None) >= 1);
        Assert.Equal(0, await job.RunAsync(CancellationToken.None));
        Assert.Equal(ErrorCatalogue.TransferNotPending, (await target.AcceptAsync(row.Id, row.Version)).Code);
        await using var check = factory.SystemDb();
        Assert.Equal(TransferStatus.Expired, (await check.OwnershipTransfers.SingleAsync(t => t.Id == proposed.TransferId)).Status);
        Assert.Equal(c.OwnerId, (await check.Classes.SingleAsync(x => x.Id == c.ClassId)).OwnerMemberId);
    }

    [Fact]
    public async Task Dissolve_EveryoneLeavesWithRetention_ClassReadOnly()
    {
        var org = await TestOrganisation.CreateAsync(factory, "dissolve");
        var (classId, ownerId, members) = await org.AddClassAsync("dissolve 班", messagesEach: 3);
        var (dissolution, s1) = await factory.ServiceAsAsync<DissolutionService>(org.AdminEmail, org.Clock);
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
        Assert.Equal(members.Count(m => m.Role == ClassRole.Student) * 3, studentMessages.Count);
        Assert.All(studentMessages, m => Assert.NotNull(m.PurgeAfter));
        Assert.Equal(members.Count, await db.ExitRequests.CountAsync(e => e.ClassId == classId && e.Kind == ExitKind.Dissolution && e.Status == ExitRequestStatus.Completed));
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "class.dissolved" && a.ClassId == classId));
        // Nobody can leave a dissolved class any more.
        var (exits, _, s2) = await factory.AsUserAsync(org.AdminEmail, org.Clock);
        using var _2 = s2;
        Assert.Equal(ErrorCatalogue.ClassDissolved, (await exits.PreviewAsync(classId, ownerId))!.Decision.PrimaryCode);
    }
}
