using System.Net;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ClassExit.Portal.Tests.Features.ExitRequests;

[Collection(PortalCollection.Name)]
public class ApprovalTests(PortalFactory factory)
{
    /// <summary>A teacher of <paramref name="className"/> asks to leave with every open duty planned to a colleague: 202.</summary>
    private async Task<(long RequestId, long ClassId, long Teacher, long Successor, List<(DutyKind Kind, long Id)> Duties)> TeacherRequestAsync(string className)
    {
        var (classId, _, members) = await ExitApiTests.ClassAsync(factory, className);
        var teachers = members.Where(m => m.Role == ClassRole.Teacher).Select(m => m.MemberId).ToList();
        var (teacher, successor) = (teachers[0], teachers[1]);
        List<(DutyKind, long)> duties;
        await using (var db = factory.SystemDb())
        {
            var a = await db.Assignments.Where(x => x.ClassId == classId && x.ResponsibleMemberId == teacher && (x.Status == AssignmentStatus.Open || x.GradedCount < x.SubmissionCount)).Select(x => x.Id).ToListAsync();
            var l = await db.LiveStreams.Where(x => x.ClassId == classId && x.HostMemberId == teacher && (x.Status == LiveStreamStatus.Scheduled || x.Status == LiveStreamStatus.Running)).Select(x => x.Id).ToListAsync();
            duties = [.. a.Select(id => (DutyKind.Assignment, id)), .. l.Select(id => (DutyKind.LiveStream, id))];
        }
        Assert.NotEmpty(duties);
        var api = factory.WithKey(DemoSeeder.SchoolApiKey);

        var without = await api.SendAsync(ExitApiTests.Exit(factory, classId, new { member_id = teacher, channel = "pc", verification = "sms" }));
        Assert.Equal(50104, (await without.JsonAsync()).GetProperty("code").GetInt32());

        var handover = duties.Select(d => new { duty_id = d.Item2, to_member_id = successor, kind = d.Item1 == DutyKind.Assignment ? "assignment" : "live_stream" }).ToArray();
        var with = await api.SendAsync(ExitApiTests.Exit(factory, classId, new { member_id = teacher, channel = "pc", verification = "sms", handover }));
        Assert.Equal(HttpStatusCode.Accepted, with.StatusCode);
        return ((await with.JsonAsync()).GetProperty("exit_request_id").GetInt64(), classId, teacher, successor, duties);
    }

    [Fact]
    public async Task TeacherExit_ApprovedByAdmin_DutiesBelongToSuccessor()
    {
        var (id, classId, teacher, successor, duties) = await TeacherRequestAsync("高二(6)班");
        await using (var db = factory.SystemDb())
            Assert.Equal(MembershipState.ExitPending, (await db.Memberships.SingleAsync(m => m.ClassId == classId && m.MemberId == teacher)).State);

        var (exits, queries, scope) = await factory.AsUserAsync("admin@school.demo");
        using var _ = scope;
        var version = (await queries.GetAsync(id))!.Value.Version;
        var result = await exits.ApproveAsync(id, version);
        Assert.True(result.Succeeded, $"code {result.Code} {result.Detail}");

        await using var check = factory.SystemDb();
        Assert.Equal(MembershipState.Left, (await check.Memberships.SingleAsync(m => m.ClassId == classId && m.MemberId == teacher)).State);
        foreach (var (kind, dutyId) in duties)
        {
            var holder = kind == DutyKind.Assignment
                ? await check.Assignments.Where(a => a.Id == dutyId).Select(a => a.ResponsibleMemberId).SingleAsync()
                : await check.LiveStreams.Where(l => l.Id == dutyId).Select(l => l.HostMemberId).SingleAsync();
            Assert.Equal(successor, holder);
        }
        var messages = await check.ChatMessages.Where(m => m.ClassId == classId && m.SenderMemberId == teacher).ToListAsync();
        Assert.All(messages, m => Assert.True(m.PurgeAfter > DateTimeOffset.UtcNow.AddDays(89)));
        var status = await (await factory.WithKey(DemoSeeder.SchoolApiKey).GetAsync($"/api/v1/exits/{id}")).JsonAsync();
        Assert.Equal("completed", status.GetProperty("status").GetString());
    }

    [Fact]
    public async Task TwoAdminsDecideAtOnce_ExactlyOneDecisionStands()
    {
        var (id, classId, teacher, _, _) = await TeacherRequestAsync("高二(7)班");
        var (exits1, queries, s1) = await factory.AsUserAsync("admin@school.demo");
        var (exits2, _, s2) = await factory.AsUserAsync("teacher@school.demo");
        using var _1 = s1;
        using var _2 = s2;
        // teacher@school.demo must be a teacher of the class to decide: make them one for this test.
        await using (var db = factory.SystemDb())
        {
            var teacherAccount = await db.Users.Where(u => u.Email == "teacher@school.demo").Select(u => u.MemberId!.Value).SingleAsync();
            if (!await db.Memberships.AnyAsync(m => m.ClassId == classId && m.MemberId == teacherAccount))
            {
                db.Memberships.Add(new Membership(await factory.OrganisationIdAsync(DemoSeeder.SchoolName), classId, teacherAccount, ClassRole.Teacher, DateTimeOffset.UtcNow));
                await db.SaveChangesAsync();
            }
        }
        var version = (await queries.GetAsync(id))!.Value.Version;

        var results = await Task.WhenAll(
            Task.Run(() => exits1.ApproveAsync(id, version)),
            Task.Run(() => exits2.RejectAsync(id, version, "not now")));

        Assert.Single(results, r => r.Succeeded);
        var loser = Assert.Single(results, r => !r.Succeeded);
        Assert.Equal(ErrorCatalogue.RequestAlreadyDecided, loser.Code);

        await using var check = factory.SystemDb();
        var request = await check.ExitRequests.SingleAsync(e => e.Id == id);
        var decisions = await check.AuditEntries.CountAsync(a => a.TargetId == id.ToString() && (a.Action == "exit.approved" || a.Action == "exit.rejected"));
        Assert.Equal(1, decisions);
        var membership = await check.Memberships.SingleAsync(m => m.ClassId == classId && m.MemberId == teacher);
        Assert.Equal(request.Status == ExitRequestStatus.Completed ? MembershipState.Left : MembershipState.Active, membership.State);
    }

    [Fact]
    public async Task Reject_RequiresReason_AndReturnsMemberToActive()
    {
        var (id, classId, teacher, _, _) = await TeacherRequestAsync("高二(8)班");
        var (exits, queries, scope) = await factory.AsUserAsync("admin@school.demo");
        using var _ = scope;
        var version = (await queries.GetAsync(id))!.Value.Version;
        Assert.Equal(ErrorCatalogue.RejectReasonRequired, (await exits.RejectAsync(id, version, "  ")).Code);
        Assert.True((await exits.RejectAsync(id, version, "期末前请勿退出")).Succeeded);
        await using var check = factory.SystemDb();
        Assert.Equal(MembershipState.Active, (await check.Memberships.SingleAsync(m => m.ClassId == classId && m.MemberId == teacher)).State);
        Assert.Equal(ExitRequestStatus.Rejected, (await check.ExitRequests.SingleAsync(e => e.Id == id)).Status);
        // Deciding again with the old version: already decided.
        Assert.Equal(ErrorCatalogue.RequestAlreadyDecided, (await exits.ApproveAsync(id, version)).Code);
    }

    [Fact]
    public async Task NobodyApprovesTheirOwnExit()
    {
        var (classId, _, _) = await ExitApiTests.ClassAsync(factory, "高二(9)班");
        var org = await factory.OrganisationIdAsync(DemoSeeder.SchoolName);
        long id;
        await using (var db = factory.SystemDb())
        {
            var admin = await db.Users.Where(u => u.Email == "admin@school.demo").Select(u => u.MemberId!.Value).SingleAsync();
            var membership = await db.Memberships.SingleOrDefaultAsync(m => m.ClassId == classId && m.MemberId == admin)
                ?? db.Memberships.Add(new Membership(org, classId, admin, ClassRole.Teacher, DateTimeOffset.UtcNow)).Entity;
            membership.MarkExitPending();
            var request = new ExitRequest(org, classId, admin, ClassRole.Teacher, ExitKind.SelfExit, ExitChannel.Pc, VerificationMethod.Sms, admin, DateTimeOffset.UtcNow);
            db.ExitRequests.Add(request);
            await db.SaveChangesAsync();
            id = request.Id;
        }
        var (exits, queries, scope) = await factory.AsUserAsync("admin@school.demo");
        using var _ = scope;
        Assert.Equal(ErrorCatalogue.SelfApproval, (await exits.ApproveAsync(id, (await queries.GetAsync(id))!.Value.Version)).Code);
    }

    [Fact]
    public async Task ForceRemoval_StepUpRequired_SecurityEventRecorded()
    {
        var (classId, ownerId, members) = await ExitApiTests.ClassAsync(factory, "高二(10)班");
        var target = members.First(m => m.Role == ClassRole.ClassAdmin).MemberId;
        var (exits, _, scope) = await factory.AsUserAsync("admin@school.demo");
        using var _ = scope;

        var wrong = await exits.ForceRemoveAsync(classId, target, "违规", "not-my-password");
        Assert.Equal(ErrorCatalogue.StepUpFailed, wrong.Decision.PrimaryCode);
        Assert.Equal(ErrorCatalogue.OwnerMustTransfer, (await exits.ForceRemoveAsync(classId, ownerId, "x", DemoSeeder.Password)).Decision.PrimaryCode);

        var done = await exits.ForceRemoveAsync(classId, target, "违规", DemoSeeder.Password);
        Assert.Equal(ExitRequestStatus.Completed, done.Status);

        await using var check = factory.SystemDb();
        Assert.Equal(MembershipState.Removed, (await check.Memberships.SingleAsync(m => m.ClassId == classId && m.MemberId == target)).State);
        Assert.True(await check.AuditEntries.AnyAsync(a => a.Action == "security.step_up_failed" && a.IsSecurityEvent));
        Assert.True(await check.AuditEntries.AnyAsync(a => a.Action == "exit.force_removed" && a.MemberId == target && a.IsSecurityEvent));

        // Only enterprise admins may force-remove.
        var (staffExits, _, staffScope) = await factory.AsUserAsync("teacher@school.demo");
        using var __ = staffScope;
        Assert.Equal(ErrorCatalogue.Forbidden, (await staffExits.ForceRemoveAsync(classId, members.Last().MemberId, "x", DemoSeeder.Password)).Decision.PrimaryCode);
    }

    [Fact]
    public async Task EscalationJob_MarksOverdueOnce_SafeToRunTwice()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(3));
        var job = new ExitEscalationJob(factory.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<ClassExit.Portal.Data.PortalDbContext>>(),
            clock, NullLogger<ExitEscalationJob>.Instance, factory.Services.GetRequiredService<ClassExit.Portal.Features.Notifications.PortalEvents>());
        var first = await job.RunAsync(CancellationToken.None);
        Assert.True(first > 0);
        Assert.Equal(0, await job.RunAsync(CancellationToken.None));

        await using var db = factory.SystemDb();
        var pending = await db.ExitRequests.Where(e => e.Status == ExitRequestStatus.PendingApproval).ToListAsync();
        Assert.All(pending.Where(p => p.CreatedAt < clock.GetUtcNow().AddHours(-48)), p => Assert.True(p.Overdue));
        var escalations = await db.AuditEntries.Where(a => a.Action == "exit.escalated").Select(a => a.TargetId).ToListAsync();
        Assert.Equal(escalations.Count, escalations.Distinct().Count());
    }
}
