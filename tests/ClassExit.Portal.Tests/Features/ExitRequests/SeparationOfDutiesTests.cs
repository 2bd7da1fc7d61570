using System.Net;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Exits.Policy;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Ownership;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Features.Ownership;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Tests.Features.ExitRequests;

/// <summary>
/// Separation of duties against the real portal and the demo accounts (ADR 0006): nobody decides an exit request they started, that
/// concerns them or a class they are leaving; a request nobody in the class may decide goes to the enterprise admins at once; nobody
/// accepts a transfer they proposed or one addressed to someone else; a refusal changes nothing but one audit entry. Each test works
/// on its own class (or on members added for it), because the demo database is shared by the whole collection.
/// </summary>
[Collection(PortalCollection.Name)]
public class SeparationOfDutiesTests(PortalFactory factory)
{
    private const string Teacher = "teacher@school.demo";
    private const string Teacher2 = "teacher2@school.demo";
    private const string SchoolAdmin = "admin@school.demo";
    private const string FinanceAdmin = "admin@finance.demo";

    private async Task<(long MemberId, string UserId)> AccountAsync(string email)
    {
        await using var db = factory.SystemDb();
        var user = await db.Users.Where(u => u.Email == email).Select(u => new { u.MemberId, u.Id }).SingleAsync();
        return (user.MemberId!.Value, user.Id);
    }

    /// <summary>
    /// A class of Demo School, like the demo teacher's own: owned by <paramref name="owner"/>, with the demo accounts given as teachers,
    /// a fresh teacher without duties and two fresh students (no account, no history elsewhere).
    /// </summary>
    private async Task<(long ClassId, long FreshTeacher, long Student, long OtherStudent)> SchoolClassAsync(string name, long owner, params long[] teachers)
    {
        var org = await factory.OrganisationIdAsync(DemoSeeder.SchoolName);
        var now = DateTimeOffset.UtcNow;
        await using var db = factory.SystemDb();
        var fresh = new Member(org, $"{name} 老师", $"SOD-{name}-T", OrgRole.Staff);
        var s1 = new Member(org, $"{name} 学生甲", $"SOD-{name}-S1");
        var s2 = new Member(org, $"{name} 学生乙", $"SOD-{name}-S2");
        db.Members.AddRange(fresh, s1, s2);
        var c = new ClassGroup(org, name, owner, DateOnly.FromDateTime(now.UtcDateTime).AddDays(120), now.AddDays(-100));
        db.Classes.Add(c);
        await db.SaveChangesAsync();
        db.Memberships.Add(new Membership(org, c.Id, owner, ClassRole.Owner, now.AddDays(-90)));
        foreach (var t in teachers.Append(fresh.Id)) db.Memberships.Add(new Membership(org, c.Id, t, ClassRole.Teacher, now.AddDays(-90)));
        foreach (var s in new[] { s1, s2 }) db.Memberships.Add(new Membership(org, c.Id, s.Id, ClassRole.Student, now.AddDays(-90)));
        await db.SaveChangesAsync();
        return (c.Id, fresh.Id, s1.Id, s2.Id);
    }

    /// <summary>A fresh student added to a class of the demo data (so that nothing else in the demo is touched).</summary>
    private async Task<long> FreshStudentAsync(string organisation, long classId, string name)
    {
        var org = await factory.OrganisationIdAsync(organisation);
        await using var db = factory.SystemDb();
        var student = new Member(org, name, $"SOD-{name}");
        db.Members.Add(student);
        await db.SaveChangesAsync();
        db.Memberships.Add(new Membership(org, classId, student.Id, ClassRole.Student, DateTimeOffset.UtcNow.AddDays(-60)));
        // A PC of their own, registered and bound: client exits come from a device registered to the member (50205).
        db.Devices.Add(new Device($"SOD-{name}-D1", org, student.Id, Platform.Windows, NetworkClass.SameNetwork, "3.1.10", "02:00:00:00:00:01", bound: true));
        await db.SaveChangesAsync();
        return student.Id;
    }

    /// <summary>A pending exit of <paramref name="memberId"/>, arranged as <see cref="ExitService"/> leaves one (membership ExitPending).</summary>
    private async Task<long> PendingExitAsync(long classId, long memberId, ClassRole role)
    {
        var org = await factory.OrganisationIdAsync(DemoSeeder.SchoolName);
        await using var db = factory.SystemDb();
        var membership = await db.Memberships.SingleAsync(m => m.ClassId == classId && m.MemberId == memberId);
        membership.MarkExitPending();
        var request = new ExitRequest(org, classId, memberId, role, ExitKind.SelfExit, ExitChannel.Pc, VerificationMethod.Sms, memberId, DateTimeOffset.UtcNow);
        db.ExitRequests.Add(request);
        await db.SaveChangesAsync();
        return request.Id;
    }

    private async Task<int> VersionAsync(long requestId)
    {
        await using var db = factory.SystemDb();
        return await db.ExitRequests.Where(e => e.Id == requestId).Select(e => e.Version).SingleAsync();
    }

    private async Task<MembershipState> MembershipStateAsync(long classId, long memberId)
    {
        await using var db = factory.SystemDb();
        return await db.Memberships.Where(m => m.ClassId == classId && m.MemberId == memberId).Select(m => m.State).SingleAsync();
    }

    private async Task<long> LastAuditIdAsync()
    {
        await using var db = factory.SystemDb();
        return await db.AuditEntries.MaxAsync(a => (long?)a.Id) ?? 0;
    }

    /// <summary>
    /// <paramref name="email"/> approves (or rejects) the request and is refused with <paramref name="code"/>; the request, the membership and
    /// every table the decision would touch are as before, and the audit log gained exactly one entry: <c>access.refused</c> with that code.
    /// </summary>
    private async Task AssertDecisionRefusedAsync(string email, long requestId, int code, bool approve = true)
    {
        ExitRequest before;
        MembershipState stateBefore;
        await using (var db = factory.SystemDb())
        {
            before = await db.ExitRequests.AsNoTracking().SingleAsync(e => e.Id == requestId);
            stateBefore = await MembershipStateAsync(before.ClassId, before.MemberId);
        }
        Assert.Equal(ExitRequestStatus.PendingApproval, before.Status);
        var lastAudit = await LastAuditIdAsync();

        var (exits, _, scope) = await factory.AsUserAsync(email);
        DecisionResult result;
        using (scope)
            result = approve ? await exits.ApproveAsync(requestId, before.Version) : await exits.RejectAsync(requestId, before.Version, "职责分离测试");
        Assert.False(result.Succeeded);
        Assert.Equal(code, result.Code);

        await using var check = factory.SystemDb();
        var after = await check.ExitRequests.AsNoTracking().SingleAsync(e => e.Id == requestId);
        Assert.Equal((ExitRequestStatus.PendingApproval, before.Version, (long?)null, (DateTimeOffset?)null),
            (after.Status, after.Version, after.DecidedByMemberId, after.DecidedAt));
        Assert.Equal(stateBefore, await MembershipStateAsync(after.ClassId, after.MemberId));
        var (_, userId) = await AccountAsync(email);
        var written = await check.AuditEntries.Where(a => a.Id > lastAudit).ToListAsync();
        var entry = Assert.Single(written);
        Assert.Equal(("access.refused", AuditOutcome.Refused, code, userId, requestId.ToString()),
            (entry.Action, entry.Outcome, entry.Code, entry.ActorUserId, entry.TargetId));
    }

    private async Task<int> RoutedToAdminsAsync(long requestId)
    {
        await using var db = factory.SystemDb();
        return await db.AuditEntries.CountAsync(a => a.Action == "exit.routed_to_admins" && a.TargetId == requestId.ToString());
    }

    [Fact]
    public async Task OwnerStartsExitForATeacher_PendingOnBehalf_OwnerCannotDecide_ColleagueApproves()
    {
        var (teacher, _) = await AccountAsync(Teacher);
        var (teacher2, _) = await AccountAsync(Teacher2);
        var (classId, leaver, _, _) = await SchoolClassAsync("职责分离 代办班", teacher, teacher2);

        var (exits, _, scope) = await factory.AsUserAsync(Teacher);
        ExitCommandResult started;
        using (scope)
            // Asked for as the member's own exit: the service, not the caller, says whose exit it is.
            started = await exits.RequestAsync(new ExitCommand(classId, leaver, ExitKind.SelfExit, ExitChannel.Portal, VerificationMethod.None));
        Assert.False(started.Decision.IsRefused, $"code {started.Decision.PrimaryCode}");
        Assert.Equal(ExitOutcome.NeedsApproval, started.Decision.Outcome);
        Assert.Equal(ExitRequestStatus.PendingApproval, started.Status);
        var id = started.ExitRequestId!.Value;

        await using (var db = factory.SystemDb())
        {
            var request = await db.ExitRequests.SingleAsync(e => e.Id == id);
            Assert.Equal((ExitKind.OnBehalf, ExitChannel.Portal, (long?)teacher, leaver), (request.Kind, request.Channel, request.RequestedByMemberId, request.MemberId));
            // teacher2 may decide it, so it stays with the class.
            Assert.Null(request.EscalatedAt);
        }
        Assert.Equal(MembershipState.ExitPending, await MembershipStateAsync(classId, leaver));
        Assert.Equal(0, await RoutedToAdminsAsync(id));

        await AssertDecisionRefusedAsync(Teacher, id, ErrorCatalogue.RequesterCannotDecide);
        await AssertDecisionRefusedAsync(Teacher, id, ErrorCatalogue.RequesterCannotDecide, approve: false);

        var (exits2, _, scope2) = await factory.AsUserAsync(Teacher2);
        using (scope2)
        {
            var approved = await exits2.ApproveAsync(id, await VersionAsync(id));
            Assert.True(approved.Succeeded, $"code {approved.Code} {approved.Detail}");
            Assert.Equal(ExitRequestStatus.Completed, approved.Status);
        }
        Assert.Equal(MembershipState.Left, await MembershipStateAsync(classId, leaver));
        await using var check = factory.SystemDb();
        var done = await check.ExitRequests.SingleAsync(e => e.Id == id);
        Assert.Equal((ExitRequestStatus.Completed, (long?)teacher2), (done.Status, done.DecidedByMemberId));
    }

    [Fact]
    public async Task TeacherWhoseOwnExitIsPending_CannotDecideAnotherRequestOfThatClass_50407()
    {
        var (teacher, _) = await AccountAsync(Teacher);
        var (teacher2, _) = await AccountAsync(Teacher2);
        var (classId, _, student, _) = await SchoolClassAsync("职责分离 离任班", teacher, teacher2);
        await PendingExitAsync(classId, teacher2, ClassRole.Teacher);
        var studentsRequest = await PendingExitAsync(classId, student, ClassRole.Student);

        await AssertDecisionRefusedAsync(Teacher2, studentsRequest, ErrorCatalogue.DeciderLeavingClass);
        await AssertDecisionRefusedAsync(Teacher2, studentsRequest, ErrorCatalogue.DeciderLeavingClass, approve: false);

        // The refusal is about teacher2 leaving: the owner, who stays, decides it.
        var (exits, _, scope) = await factory.AsUserAsync(Teacher);
        using (scope)
            Assert.True((await exits.RejectAsync(studentsRequest, await VersionAsync(studentsRequest), "期末前请勿退出")).Succeeded);
        Assert.Equal(MembershipState.Active, await MembershipStateAsync(classId, student));
    }

    [Fact]
    public async Task EnterpriseAdminWhoTeachesThere_CannotDecideWhileLeavingThatClass_50407()
    {
        var (teacher, _) = await AccountAsync(Teacher);
        var (admin, _) = await AccountAsync(SchoolAdmin);
        var (classId, _, student, _) = await SchoolClassAsync("职责分离 管理员离任班", teacher, admin);
        await PendingExitAsync(classId, admin, ClassRole.Teacher);
        var studentsRequest = await PendingExitAsync(classId, student, ClassRole.Student);

        await AssertDecisionRefusedAsync(SchoolAdmin, studentsRequest, ErrorCatalogue.DeciderLeavingClass);
    }

    [Fact]
    public async Task Finance_AdminStartsExitForAStudent_RoutedToAdminsAtOnce_AndTheAdminCannotDecideIt()
    {
        var (admin, _) = await AccountAsync(FinanceAdmin);
        var (classId, _, roster) = await ExitApiTests.ClassAsync(factory, "Excel 数据分析 2班");
        Assert.DoesNotContain(roster, m => m.MemberId == admin);
        var student = await FreshStudentAsync(DemoSeeder.FinanceName, classId, "职责分离 财务学员甲");

        var (exits, _, scope) = await factory.AsUserAsync(FinanceAdmin);
        ExitCommandResult started;
        using (scope)
            started = await exits.RequestAsync(new ExitCommand(classId, student, ExitKind.OnBehalf, ExitChannel.Portal, VerificationMethod.None));
        // Demo Finance: every exit needs approval, a student's too.
        Assert.Equal((ExitOutcome.NeedsApproval, (ExitRequestStatus?)ExitRequestStatus.PendingApproval), (started.Decision.Outcome, started.Status));
        var id = started.ExitRequestId!.Value;

        await using (var db = factory.SystemDb())
        {
            var request = await db.ExitRequests.SingleAsync(e => e.Id == id);
            Assert.Equal((ExitKind.OnBehalf, (long?)admin), (request.Kind, request.RequestedByMemberId));
            // The class's staff have no portal accounts: nobody there may decide, so it went to the admins at once, not after the SLA.
            Assert.NotNull(request.EscalatedAt);
            Assert.False(request.Overdue);
        }
        Assert.Equal(1, await RoutedToAdminsAsync(id));

        await AssertDecisionRefusedAsync(FinanceAdmin, id, ErrorCatalogue.RequesterCannotDecide);
    }

    [Fact]
    public async Task Finance_MembersOwnClientExit_DecidedByTheAdmin()
    {
        var (admin, _) = await AccountAsync(FinanceAdmin);
        var (classId, _, _) = await ExitApiTests.ClassAsync(factory, "Excel 数据分析 3班");
        var student = await FreshStudentAsync(DemoSeeder.FinanceName, classId, "职责分离 财务学员乙");

        var response = await factory.WithKey(DemoSeeder.FinanceApiKey)
            .SendAsync(ExitApiTests.Exit(factory, classId, new { member_id = student, channel = "pc", verification = "sms" }));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.JsonAsync()).GetProperty("exit_request_id").GetInt64();
        await using (var db = factory.SystemDb())
        {
            var request = await db.ExitRequests.SingleAsync(e => e.Id == id);
            Assert.Equal((ExitKind.SelfExit, (long?)student, ExitRequestStatus.PendingApproval), (request.Kind, request.RequestedByMemberId, request.Status));
        }

        var (exits, _, scope) = await factory.AsUserAsync(FinanceAdmin);
        using (scope)
        {
            var approved = await exits.ApproveAsync(id, await VersionAsync(id));
            Assert.True(approved.Succeeded, $"code {approved.Code} {approved.Detail}");
        }
        Assert.Equal(MembershipState.Left, await MembershipStateAsync(classId, student));
        await using var check = factory.SystemDb();
        Assert.Equal((long?)admin, (await check.ExitRequests.SingleAsync(e => e.Id == id)).DecidedByMemberId);
    }

    [Fact]
    public async Task RefusedDecision_ChangesNothing_AndWritesOneAccessRefusedEntry()
    {
        // A member's own exit, then the member's own attempt to approve it through an account that decides elsewhere.
        var (teacher, _) = await AccountAsync(Teacher);
        var (teacher2, _) = await AccountAsync(Teacher2);
        var (classId, _, student, _) = await SchoolClassAsync("职责分离 拒绝班", teacher, teacher2);
        var own = await PendingExitAsync(classId, teacher2, ClassRole.Teacher);
        var versionBefore = await VersionAsync(own);

        await AssertDecisionRefusedAsync(Teacher2, own, ErrorCatalogue.SelfApproval);

        await using var db = factory.SystemDb();
        var request = await db.ExitRequests.SingleAsync(e => e.Id == own);
        Assert.Equal((ExitRequestStatus.PendingApproval, versionBefore), (request.Status, request.Version));
        Assert.False(await db.AuditEntries.AnyAsync(a => a.TargetId == own.ToString() && (a.Action == "exit.approved" || a.Action == "exit.completed")));
        Assert.Equal(MembershipState.Active, await MembershipStateAsync(classId, student));
    }

    private async Task<OwnershipTransfer> TransferAsync(long transferId)
    {
        await using var db = factory.SystemDb();
        return await db.OwnershipTransfers.AsNoTracking().SingleAsync(t => t.Id == transferId);
    }

    /// <summary>The answer is refused with <paramref name="code"/>; the transfer and the class are as before, and one audit entry says so.</summary>
    private async Task AssertAcceptRefusedAsync(string email, long transferId, long classId, int code)
    {
        var before = await TransferAsync(transferId);
        long ownerBefore;
        await using (var db = factory.SystemDb())
            ownerBefore = await db.Classes.Where(c => c.Id == classId).Select(c => c.OwnerMemberId).SingleAsync();
        var lastAudit = await LastAuditIdAsync();

        var (ownership, scope) = await factory.ServiceAsAsync<OwnershipService>(email);
        using (scope)
        {
            var result = await ownership.AcceptAsync(transferId, before.Version);
            Assert.Equal((false, (int?)code), (result.Succeeded, result.Code));
        }

        var after = await TransferAsync(transferId);
        Assert.Equal((TransferStatus.Pending, before.Version), (after.Status, after.Version));
        await using var check = factory.SystemDb();
        Assert.Equal(ownerBefore, await check.Classes.Where(c => c.Id == classId).Select(c => c.OwnerMemberId).SingleAsync());
        Assert.Equal(1, await check.Memberships.CountAsync(m => m.ClassId == classId && m.Role == ClassRole.Owner));
        var entry = Assert.Single(await check.AuditEntries.Where(a => a.Id > lastAudit).ToListAsync());
        Assert.Equal(("access.refused", code, transferId.ToString()), (entry.Action, entry.Code, entry.TargetId));
    }

    [Fact]
    public async Task EnterpriseAdminWhoTeachesThere_ProposesTheClassToThemselves_CannotAccept_50507()
    {
        var (admin, _) = await AccountAsync(SchoolAdmin);
        var org = await factory.OrganisationIdAsync(DemoSeeder.SchoolName);
        long owner;
        await using (var db = factory.SystemDb())
        {
            var m = new Member(org, "职责分离 班主任", "SOD-OWNER-1", OrgRole.Staff);
            db.Members.Add(m);
            await db.SaveChangesAsync();
            owner = m.Id;
        }
        var (classId, _, _, _) = await SchoolClassAsync("职责分离 自荐班", owner, admin);

        var (ownership, scope) = await factory.ServiceAsAsync<OwnershipService>(SchoolAdmin);
        OwnershipResult proposed;
        using (scope)
            proposed = await ownership.ProposeAsync(classId, admin, "由我接手", []);
        Assert.True(proposed.Succeeded, $"code {proposed.Code}");
        var transfer = await TransferAsync(proposed.TransferId!.Value);
        Assert.Equal((owner, admin, admin), (transfer.FromMemberId, transfer.ToMemberId, transfer.ProposedByMemberId));

        await AssertAcceptRefusedAsync(SchoolAdmin, transfer.Id, classId, ErrorCatalogue.ProposerCannotAccept);
    }

    [Fact]
    public async Task OwnerProposes_CannotAcceptOnTheAddresseesBehalf_50506_TheAddresseeCan()
    {
        var (teacher, _) = await AccountAsync(Teacher);
        var (teacher2, _) = await AccountAsync(Teacher2);
        var (classId, _, _, _) = await SchoolClassAsync("职责分离 转让班", teacher, teacher2);

        var (ownership, scope) = await factory.ServiceAsAsync<OwnershipService>(Teacher);
        OwnershipResult proposed;
        using (scope)
            proposed = await ownership.ProposeAsync(classId, teacher2, "请接手本班", []);
        Assert.True(proposed.Succeeded, $"code {proposed.Code}");
        var transferId = proposed.TransferId!.Value;

        await AssertAcceptRefusedAsync(Teacher, transferId, classId, ErrorCatalogue.TransferNotAddressedToYou);

        var (addressee, scope2) = await factory.ServiceAsAsync<OwnershipService>(Teacher2);
        using (scope2)
            Assert.True((await addressee.AcceptAsync(transferId, (await TransferAsync(transferId)).Version)).Succeeded);
        await using var db = factory.SystemDb();
        Assert.Equal(teacher2, await db.Classes.Where(c => c.Id == classId).Select(c => c.OwnerMemberId).SingleAsync());
    }

    [Fact]
    public async Task AuditorsVerifyNow_IsRecordedWithTheAuditorAsActor()
    {
        var (auditor, auditorUserId) = await AccountAsync("auditor@school.demo");
        var school = await factory.OrganisationIdAsync(DemoSeeder.SchoolName);
        var lastAudit = await LastAuditIdAsync();

        var (search, scope) = await factory.ServiceAsAsync<AuditSearchService>("auditor@school.demo");
        using (scope)
        {
            var (code, result) = await search.VerifyNowAsync();
            Assert.Null(code);
            Assert.NotNull(result);
        }

        await using var db = factory.SystemDb();
        var entry = Assert.Single(await db.AuditEntries.Where(a => a.Id > lastAudit).ToListAsync());
        Assert.Contains(entry.Action, new[] { "audit.chain_verified", "audit.chain_broken" });
        Assert.Equal((school, auditorUserId, (long?)auditor), (entry.OrganisationId!.Value, entry.ActorUserId, entry.ActorMemberId));
        Assert.NotEqual("system", entry.ActorName);
    }
}
