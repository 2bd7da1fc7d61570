using System.Text;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Ownership;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.BulkExits;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Features.Ownership;
using ClassExit.Portal.Tests.Features.ExitRequests;
using ClassExit.Portal.Tests.Infrastructure;
using ClassExit.Portal.Data;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ClassExit.Portal.Tests.Features.SafeByHand;

/// <summary>Issue 18, "Safe by hand": what the services behind the new confirmations, pickers and forms decide, on the demo database.</summary>
[Collection(PortalCollection.Name)]
public class SafeByHandTests(PortalFactory factory)
{
    private async Task<long> MemberOfAsync(string email)
    {
        await using var db = factory.SystemDb();
        return await db.Users.Where(u => u.Email == email).Select(u => u.MemberId!.Value).SingleAsync();
    }

    [Fact]
    public async Task DeclineTransfer_NeedsAReason_50701_TheReasonIsAudited()
    {
        var (classId, _, _) = await ExitApiTests.ClassAsync(factory, "高一(2)班");
        var teacher2 = await MemberOfAsync("teacher2@school.demo");
        var (admin, s1) = await factory.ServiceAsAsync<OwnershipService>("admin@school.demo");
        var (addressee, s2) = await factory.ServiceAsAsync<OwnershipService>("teacher2@school.demo");
        using var _1 = s1;
        using var _2 = s2;
        var proposed = await admin.ProposeAsync(classId, teacher2, null, []);
        Assert.True(proposed.Succeeded, $"{proposed.Code}");
        var row = (await addressee.MyTransfersAsync()).Single(t => t.Id == proposed.TransferId);

        Assert.Equal(ErrorCatalogue.DeclineReasonRequired, (await addressee.DeclineAsync(row.Id, row.Version, "  ")).Code);
        Assert.Equal(ErrorCatalogue.TextTooLong, (await addressee.DeclineAsync(row.Id, row.Version, new string('长', 2001))).Code);
        Assert.Equal(TransferStatus.Pending, (await addressee.MyTransfersAsync()).Single(t => t.Id == row.Id).Status);

        Assert.True((await addressee.DeclineAsync(row.Id, row.Version, "本学期课时已满")).Succeeded);
        await using var db = factory.SystemDb();
        Assert.Equal(TransferStatus.Declined, (await db.OwnershipTransfers.SingleAsync(t => t.Id == row.Id)).Status);
        var entry = await db.AuditEntries.Where(a => a.Action == "ownership.declined" && a.TargetId == row.Id.ToString()).SingleAsync();
        Assert.Contains("本学期课时已满", entry.Details);
    }

    [Fact]
    public async Task TransferCandidates_CarryEmailAndRole()
    {
        var (classId, _, _) = await ExitApiTests.ClassAsync(factory, "高一(1)班");
        var (admin, scope) = await factory.ServiceAsAsync<OwnershipService>("admin@school.demo");
        using var _ = scope;
        var candidates = await admin.CandidatesAsync(classId);
        Assert.NotEmpty(candidates);
        var teacher2Id = await MemberOfAsync("teacher2@school.demo");
        var teacher2 = candidates.Single(c => c.MemberId == teacher2Id);
        Assert.Equal("teacher2@school.demo", teacher2.Email);
        Assert.Equal(ClassRole.Teacher, teacher2.Role);
        Assert.All(candidates, c => Assert.False(string.IsNullOrEmpty(c.EmployeeNo)));
    }

    [Fact]
    public async Task AuditPage_NamesTargetsReadably_OneLookupPerPage()
    {
        var (search, scope) = await factory.ServiceAsAsync<AuditSearchService>("admin@school.demo");
        using var _ = scope;
        var page = await search.SearchAsync(new AuditFilter(Action: "exit."));
        Assert.NotEmpty(page.Items);
        Assert.NotNull(page.Objects);
        Assert.All(page.Items, r => Assert.True(page.Objects!.ContainsKey(r.Id)));
        var withClass = page.Items.Where(r => r.ClassId is not null).ToList();
        Assert.NotEmpty(withClass);
        await using var db = factory.SystemDb();
        foreach (var r in withClass.Take(5))
            Assert.Equal(await db.Classes.Where(c => c.Id == r.ClassId).Select(c => c.Name).SingleAsync(), page.Objects![r.Id].ClassName);
    }

    /// <summary>
    /// The form and the services under it all acting as <paramref name="email"/> (ServiceAsAsync gives the user to the outer service only).
    /// </summary>
    private async Task<(BatchFormService Form, QuotaService Quota, IServiceScope Scope)> FormAsAsync(string email)
    {
        await using var db = factory.SystemDb();
        var user = await db.Users.SingleAsync(u => u.Email == email);
        var roles = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id where ur.UserId == user.Id select r.Name!).ToArrayAsync();
        var current = FixedCurrentUser.Of(user.OrganisationId ?? PortalPrincipal.NoOrganisation, user.MemberId, user.Id, roles);
        var scope = factory.Services.CreateScope();
        var sp = scope.ServiceProvider;
        var tenantDb = new TenantDb(sp.GetRequiredService<IDbContextFactory<PortalDbContext>>(), current);
        var clock = sp.GetRequiredService<TimeProvider>();
        var authorizer = new PortalAuthorizer(tenantDb, clock);
        var quota = ActivatorUtilities.CreateInstance<QuotaService>(sp, tenantDb);
        var exits = new ExitService(tenantDb, clock, sp.GetRequiredService<StepUpVerifier>(), authorizer, sp.GetRequiredService<ClassExit.Portal.Features.Notifications.PortalEvents>());
        var batches = ActivatorUtilities.CreateInstance<BatchExitService>(sp, tenantDb, exits, quota, authorizer);
        return (new BatchFormService(tenantDb, batches, authorizer), quota, scope);
    }

    private static MemoryStream Csv(string text) => new(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task Csv_HeaderSkipped_EachBadLineReportedWithItsNumber_TooLargeRefused()
    {
        var (form, scope) = await factory.ServiceAsAsync<BatchFormService>("hr@school.demo");
        using var _ = scope;
        var read = await form.ReadEmployeeCsvAsync(Csv("employee_no\r\nS00101\r\n\r\nNOPE-1\r\nS00102;extra\r\nS00101\r\n" + new string('9', 40) + "\r\n"));
        Assert.Null(read.Code);
        Assert.Equal(["S00101", "S00102"], read.Members.Select(m => m.EmployeeNo));
        Assert.Equal([(4, CsvLineProblem.UnknownEmployeeNo), (6, CsvLineProblem.Duplicate), (7, CsvLineProblem.TooLong)],
            read.Errors.Select(e => (e.Line, e.Problem)));

        var nothing = await form.ReadEmployeeCsvAsync(Csv("NOPE-1\nNOPE-2\n"));
        Assert.Equal(ErrorCatalogue.BatchFileInvalid, nothing.Code);
        Assert.Equal(2, nothing.Errors.Count);

        var tooMany = await form.ReadEmployeeCsvAsync(Csv(string.Join("\n", Enumerable.Range(1, BatchFormService.MaxCsvLines + 1).Select(i => $"X{i}"))));
        Assert.Equal(ErrorCatalogue.BatchFileTooLarge, tooMany.Code);
    }

    [Fact]
    public async Task Form_DryRunChangesNothing_RunTwiceWithOneKey_OneBatchOneQuota()
    {
        var (classId, _, members) = await ExitApiTests.ClassAsync(factory, "高三(7)班");
        var students = members.Where(m => m.Role == ClassRole.Student).TakeLast(2).Select(m => m.MemberId).ToList();
        Assert.Equal(2, students.Count);
        var (form, quota, s1) = await FormAsAsync("hr@school.demo");
        using var _1 = s1;

        Assert.Equal(ErrorCatalogue.BatchNothingToRun, (await form.RunAsync([], [], "200002", false, true, null)).Code);
        Assert.Equal(ErrorCatalogue.InvalidReasonCode, (await form.RunAsync([classId], students, "999999", false, true, null)).Code);

        var before = (await quota.GetAsync()).Used;
        var dry = await form.RunAsync([classId], students, "200002", true, dryRun: true, null);
        Assert.Null(dry.Code);
        Assert.Null(dry.BatchId);
        Assert.Equal(2, dry.Items.Count);
        Assert.All(dry.Items, i => Assert.Equal("completed", i.Status));
        Assert.All(dry.Items, i => Assert.Equal("高三(7)班", i.ClassName));
        Assert.Equal(before, (await quota.GetAsync()).Used);
        await using (var db = factory.SystemDb())
            Assert.Equal(2, await db.Memberships.CountAsync(m => m.ClassId == classId && students.Contains(m.MemberId) && m.State == MembershipState.Active));

        var key = $"portal-test-{Guid.NewGuid():N}";
        var first = await form.RunAsync([classId], students, "200002", true, dryRun: false, key);
        var second = await form.RunAsync([classId], students, "200002", true, dryRun: false, key);
        Assert.Null(first.Code);
        Assert.NotNull(first.BatchId);
        Assert.Equal(first.BatchId, second.BatchId);
        Assert.Equal(before + 1, (await quota.GetAsync()).Used);
        await using (var db = factory.SystemDb())
        {
            Assert.Equal(2, await db.Memberships.CountAsync(m => m.ClassId == classId && students.Contains(m.MemberId) && m.State == MembershipState.Removed));
            Assert.Equal(2, await db.BatchExitItems.CountAsync(i => i.BatchExitId == first.BatchId));
        }
    }

    [Fact]
    public async Task Form_IsForHrOperators_AnAdminIsRefusedAndAudited()
    {
        var (classId, _, members) = await ExitApiTests.ClassAsync(factory, "高三(7)班");
        var (form, scope) = await factory.ServiceAsAsync<BatchFormService>("admin@school.demo");
        using var _ = scope;
        var outcome = await form.RunAsync([classId], [members[0].MemberId], "200002", false, true, null);
        Assert.Equal(ErrorCatalogue.Forbidden, outcome.Code);
    }
}
