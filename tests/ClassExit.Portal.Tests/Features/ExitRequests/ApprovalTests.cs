using ClassExit.Portal.Infrastructure.Authorization;
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

/// <summary>Approving, rejecting and escalating exit requests, each test in an organisation of its own (TestOrganisation) on its own clock.</summary>
[Collection(PortalCollection.Name)]
public class ApprovalTests(PortalFactory factory)
{
    /// <summary>A teacher of a new class asks to leave with every open duty planned to a colleague: 202.</summary>
    private async Task<(TestOrganisation Org, long RequestId, TestClass Class, long Teacher, long Successor, List<(DutyKind Kind, long Id)> Duties)> TeacherRequestAsync(
        string tag, IEnumerable<long>? alsoTeachers = null, TestOrganisation? org = null)
    {
        org ??= await TestOrganisation.CreateAsync(factory, tag);
        var c = await org.AddClassAsync($"{tag} 班", alsoTeachers: alsoTeachers);
        var (teacher, successor) = (c.Teachers[0], c.Teachers[1]);
        var duties = await org.AddOpenDutiesAsync(c.ClassId, teacher);
        var api = factory.WithKey(org.ApiKey);

        var without = await api.SendAsync(ExitApiTests.Exit(factory, c.ClassId, new { member_id = teacher, channel = "pc", verification = "sms" }));
        Assert.Equal(50104, (await without.JsonAsync()).GetProperty("code").GetInt32());

        var handover = duties.Select(d => new { duty_id = d.Id, to_member_id = successor, kind = d.Kind == DutyKind.Assignment ? "assignment" : "live_stream" }).ToArray();
        var with = await api.SendAsync(ExitApiTests.Exit(factory, c.ClassId, new { member_id = teacher, channel = "pc", verification = "sms", handover }));
        Assert.Equal(HttpStatusCode.Accepted, with.StatusCode);
        return (org, (await with.JsonAsync()).GetProperty("exit_request_id").GetInt64(), c, teacher, successor, duties);
    }

    [Fact]
    public async Task TeacherExit_ApprovedByAdmin_DutiesBelongToSuccessor_MessagesKept90Days()
    {
        var (org, id, c, teacher, successor, duties) = await TeacherRequestAsync("approve");
        await using (var db = factory.SystemDb())
        {
            Assert.Equal(MembershipState.ExitPending, (await db.Memberships.SingleAsync(m => m.ClassId == c.ClassId && m.MemberId == teacher)).State);
            db.ChatMessages.AddRange(Enumerable.Range(0, 3).Select(i => new ChatMessage(org.Id, c.ClassId, teacher, $"老师的消息 {i}", org.Clock.GetUtcNow().AddDays(-i))));
            await db.SaveChangesAsync();
        }

        var (exits, queries, scope) = await factory.AsUserAsync(org.AdminEmail, org.Clock);
        using var _ = scope;
        org.Clock.Advance(TimeSpan.FromHours(1));
        var version = (await queries.GetAsync(id))!.Value.Version;
        var result = await exits.ApproveAsync(id, version);
        Assert.True(result.Succeeded, $"code {result.Code} {result.Detail}");

        await using var check = factory.SystemDb();
        var membership = await check.Memberships.SingleAsync(m => m.ClassId == c.ClassId && m.MemberId == teacher);
        Assert.Equal(MembershipState.Left, membership.State);
        Assert.Equal(org.Clock.GetUtcNow(), membership.LeftAt);
        Assert.Equal(2, duties.Count);
        foreach (var (kind, dutyId) in duties)
        {
            var holder = kind == DutyKind.Assignment
                ? await check.Assignments.Where(a => a.Id == dutyId).Select(a => a.ResponsibleMemberId).SingleAsync()
                : await check.LiveStreams.Where(l => l.Id == dutyId).Select(l => l.HostMemberId).SingleAsync();
            Assert.Equal(successor, holder);
        }
        var messages = await check.ChatMessages.Where(m => m.ClassId == c.ClassId && m.SenderMemberId == teacher).ToListAsync();
        Assert.Equal(3, messages.Count);
        Assert.All(messages, m => Assert.Equal(org.Clock.GetUtcNow().AddDays(90), m.PurgeAfter));
        var status = await (await factory.WithKey(org.ApiKey).GetAsync($"/api/v1/exits/{id}")).JsonAsync();
        Assert.Equal("completed", status.GetProperty("status").GetString());
    }

    [Fact]
    public async Task TwoDecidersAtOnce_ExactlyOneDecisionStands()
    {
        var org = await TestOrganisation.CreateAsync(factory, "race");
        // A second decider: a teacher of the class with a portal account.
        var colleague = await org.AddAccountAsync("colleague", ClassExit.Portal.Domain.Members.OrgRole.Staff, ClassExit.Portal.Data.Identity.PortalRoles.SchoolStaff);
        var (_, id, c, teacher, _, _) = await TeacherRequestAsync("race", [colleague], org);
        var (exits1, queries, s1) = await factory.AsUserAsync(org.AdminEmail, org.Clock);
        var (exits2, _, s2) = await factory.AsUserAsync(org.Email("colleague"), org.Clock);
        using var _1 = s1;
        using var _2 = s2;
        var version = (await queries.GetAsync(id))!.Value.Version;

        var results = await Task.WhenAll(
            Task.Run(() => exits1.ApproveAsync(id, version)),
            Task.Run(() => exits2.RejectAsync(id, version, "not now")));

        Assert.Single(results, r => r.Succeeded);
        var loser = Assert.Single(results, r => !r.Succeeded);
        Assert.Equal(ErrorCatalogue.RequestAlreadyDecided, loser.Code);

        await using var check = factory.SystemDb();
        var request = await check.ExitRequests.SingleAsync(e => e.Id == id);
        var decisions = await check.AuditEntries.CountAsync(a => a.OrganisationId == org.Id && a.TargetId == id.ToString() && (a.Action == "exit.approved" || a.Action == "exit.rejected"));
        Assert.Equal(1, decisions);
        var membership = await check.Memberships.SingleAsync(m => m.ClassId == c.ClassId && m.MemberId == teacher);
        Assert.Equal(request.Status == ExitRequestStatus.Completed ? MembershipState.Left : MembershipState.Active, membership.State);
    }

    [Fact]
    public async Task Reject_RequiresReason_AndReturnsMemberToActive()
    {
        var (org, id, c, teacher, _, _) = await TeacherRequestAsync("reject");
        var (exits, queries, scope) = await factory.AsUserAsync(org.AdminEmail, org.Clock);
        using var _ = scope;
        var version = (await queries.GetAsync(id))!.Value.Version;
        Assert.Equal(ErrorCatalogue.RejectReasonRequired, (await exits.RejectAsync(id, version, "  ")).Code);
        Assert.True((await exits.RejectAsync(id, version, "期末前请勿退出")).Succeeded);
        await using var check = factory.SystemDb();
        Assert.Equal(MembershipState.Active, (await check.Memberships.SingleAsync(m => m.ClassId == c.ClassId && m.MemberId == teacher)).State);
        Assert.Equal(ExitRequestStatus.Rejected, (await check.ExitRequests.SingleAsync(e => e.Id == id)).Status);
        // Deciding again with the old version: already decided.
        Assert.Equal(ErrorCatalogue.RequestAlreadyDecided, (await exits.ApproveAsync(id, version)).Code);
    }

    /// <summary>A pending exit request of <paramref name="memberId"/> (a teacher of the class), made at the organisation's present.</summary>
    private static async Task<long> PendingRequestAsync(PortalFactory factory, TestOrganisation org, long classId, long memberId)
    {
        await using var db = factory.SystemDb();
        var membership = await db.Memberships.SingleOrDefaultAsync(m => m.ClassId == classId && m.MemberId == memberId)
            ?? db.Memberships.Add(new Membership(org.Id, classId, memberId, ClassRole.Teacher, org.Clock.GetUtcNow().AddDays(-30))).Entity;
        membership.MarkExitPending();
        var request = new ExitRequest(org.Id, classId, memberId, ClassRole.Teacher, ExitKind.SelfExit, ExitChannel.Pc, VerificationMethod.Sms, memberId, org.Clock.GetUtcNow());
        db.ExitRequests.Add(request);
        await db.SaveChangesAsync();
        return request.Id;
    }

    [Fact]
    public async Task NobodyApprovesTheirOwnExit()
    {
        var org = await TestOrganisation.CreateAsync(factory, "self");
        var c = await org.AddClassAsync("self 班");
        var id = await PendingRequestAsync(factory, org, c.ClassId, org.AdminMemberId);
        var (exits, queries, scope) = await factory.AsUserAsync(org.AdminEmail, org.Clock);
        using var _ = scope;
        Assert.Equal(ErrorCatalogue.SelfApproval, (await exits.ApproveAsync(id, (await queries.GetAsync(id))!.Value.Version)).Code);
    }

    [Fact]
    public async Task ForceRemoval_StepUpRequired_SecurityEventRecorded_OnlyForEnterpriseAdmins()
    {
        var org = await TestOrganisation.CreateAsync(factory, "force");
        await org.AddAccountAsync("staff", ClassExit.Portal.Domain.Members.OrgRole.Staff, ClassExit.Portal.Data.Identity.PortalRoles.SchoolStaff);
        var (classId, ownerId, members) = await org.AddClassAsync("force 班");
        var target = members.First(m => m.Role == ClassRole.ClassAdmin).MemberId;
        var (exits, _, scope) = await factory.AsUserAsync(org.AdminEmail, org.Clock);
        using var _ = scope;

        var wrong = await exits.ForceRemoveAsync(classId, target, "违规", "not-my-password");
        Assert.Equal(ErrorCatalogue.StepUpFailed, wrong.Decision.PrimaryCode);
        Assert.Equal(ErrorCatalogue.OwnerMustTransfer, (await exits.ForceRemoveAsync(classId, ownerId, "x", DemoSeeder.Password)).Decision.PrimaryCode);

        var done = await exits.ForceRemoveAsync(classId, target, "违规", DemoSeeder.Password);
        Assert.Equal(ExitRequestStatus.Completed, done.Status);

        await using var check = factory.SystemDb();
        Assert.Equal(MembershipState.Removed, (await check.Memberships.SingleAsync(m => m.ClassId == classId && m.MemberId == target)).State);
        Assert.True(await check.AuditEntries.AnyAsync(a => a.OrganisationId == org.Id && a.Action == "security.step_up_failed" && a.IsSecurityEvent));
        Assert.True(await check.AuditEntries.AnyAsync(a => a.Action == "exit.force_removed" && a.MemberId == target && a.IsSecurityEvent));

        // Only enterprise admins may force-remove.
        var (staffExits, _, staffScope) = await factory.AsUserAsync(org.Email("staff"), org.Clock);
        using var __ = staffScope;
        Assert.Equal(ErrorCatalogue.Forbidden, (await staffExits.ForceRemoveAsync(classId, members.Last().MemberId, "x", DemoSeeder.Password)).Decision.PrimaryCode);
    }

    [Fact]
    public async Task EscalationJob_MarksOverdueOnceAfterTheSla_SafeToRunTwice()
    {
        var org = await TestOrganisation.CreateAsync(factory, "escalate");
        var c = await org.AddClassAsync("escalate 班");
        var late = await PendingRequestAsync(factory, org, c.ClassId, c.Teachers[0]);
        org.Clock.Advance(TimeSpan.FromHours(47));
        var recent = await PendingRequestAsync(factory, org, c.ClassId, c.Teachers[1]);
        var job = new ExitEscalationJob(factory.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<ClassExit.Portal.Data.PortalDbContext>>(),
            org.Clock, NullLogger<ExitEscalationJob>.Instance, factory.Services.GetRequiredService<ClassExit.Portal.Features.Notifications.PortalEvents>());

        // 47 hours after the first request: within the 48-hour SLA, nothing of this organisation's is overdue.
        await job.RunAsync(CancellationToken.None);
        await using (var db = factory.SystemDb())
            Assert.False(await db.ExitRequests.AnyAsync(e => e.OrganisationId == org.Id && e.Overdue));

        org.Clock.Advance(TimeSpan.FromHours(2));
        Assert.True(await job.RunAsync(CancellationToken.None) >= 1);
        Assert.Equal(0, await job.RunAsync(CancellationToken.None));

        await using var check = factory.SystemDb();
        Assert.True((await check.ExitRequests.SingleAsync(e => e.Id == late)).Overdue);
        Assert.False((await check.ExitRequests.SingleAsync(e => e.Id == recent)).Overdue);
        var escalations = await check.AuditEntries.Where(a => a.OrganisationId == org.Id && a.Action == "exit.escalated").Select(a => a.TargetId).ToListAsync();
        Assert.Equal([late.ToString()], escalations);
    }
}
