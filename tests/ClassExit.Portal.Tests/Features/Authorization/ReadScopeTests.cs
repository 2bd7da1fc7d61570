using System.Net;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Ownership;
using ClassExit.Portal.Features.Classes;
using ClassExit.Portal.Features.Dashboard;
using ClassExit.Portal.Features.DeviceSync;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Features.Members;
using ClassExit.Portal.Features.Ownership;
using ClassExit.Portal.Features.Retention;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Tests.Features.ExitRequests;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Tests.Features.Authorization;

/// <summary>
/// What staff may see (ADR 0007), asserted on the services themselves and through the real sign-in: school staff read only the
/// classes where they hold a role and those classes' members and requests; organisation-wide lists are for enterprise admins, HR
/// operators and auditors. Expectations are read from the database at test time (other tests change memberships).
/// </summary>
[Collection(PortalCollection.Name)]
public class ReadScopeTests(PortalFactory factory)
{
    private const string Teacher2 = "teacher2@school.demo";
    private static readonly PageRequest All = new(1, PageRequest.MaxPageSize);

    public static TheoryData<string> OrganisationReaders() => ["admin@school.demo", "hr@school.demo", "auditor@school.demo"];

    private async Task<long> MemberOfAsync(string email)
    {
        await using var db = factory.SystemDb();
        return await db.Users.Where(u => u.Email == email).Select(u => u.MemberId!.Value).SingleAsync();
    }

    private async Task<long> ClassIdAsync(string name)
    {
        await using var db = factory.SystemDb();
        return await db.Classes.Where(c => c.Name == name).Select(c => c.Id).SingleAsync();
    }

    /// <summary>The oracle: classes where the account is still a member as owner, class admin or teacher.</summary>
    private async Task<HashSet<long>> StaffClassesAsync(string email)
    {
        var me = await MemberOfAsync(email);
        await using var db = factory.SystemDb();
        return (await db.Memberships
            .Where(m => m.MemberId == me && (m.State == MembershipState.Active || m.State == MembershipState.ExitPending)
                && (m.Role == ClassRole.Owner || m.Role == ClassRole.ClassAdmin || m.Role == ClassRole.Teacher))
            .Select(m => m.ClassId).ToListAsync()).ToHashSet();
    }

    private async Task<long> SchoolAsync() => await factory.OrganisationIdAsync(DemoSeeder.SchoolName);

    [Fact]
    public async Task ClassList_AsTeacher2_HoldsExactlyTheClassesWhereTheyHoldARole()
    {
        var mine = await StaffClassesAsync(Teacher2);
        Assert.Contains(await ClassIdAsync("高一(1)班"), mine);
        Assert.Contains(await ClassIdAsync("高一(2)班"), mine);
        Assert.DoesNotContain(await ClassIdAsync("高一(3)班"), mine);

        var (classes, scope) = await factory.ServiceAsAsync<ClassesService>(Teacher2);
        using var _ = scope;
        var page = await classes.SearchAsync(null, All);
        Assert.NotEmpty(page.Items);
        Assert.All(page.Items, row => Assert.Contains(row.ClassId, mine));
        Assert.Equal(mine.Order(), page.Items.Select(r => r.ClassId).Order());
        Assert.Equal(mine.Count, page.Total);
        // A search does not reach past the scope either.
        Assert.Equal(0, (await classes.SearchAsync("高一(3)", All)).Total);
    }

    [Theory]
    [MemberData(nameof(OrganisationReaders))]
    public async Task ClassList_AsOrganisationReader_HoldsEveryClass(string email)
    {
        await using var db = factory.SystemDb();
        var school = await SchoolAsync();
        var every = await db.Classes.CountAsync(c => c.OrganisationId == school);

        var (classes, scope) = await factory.ServiceAsAsync<ClassesService>(email);
        using var _ = scope;
        Assert.Equal(every, (await classes.SearchAsync(null, All)).Total);
        Assert.True(every > (await StaffClassesAsync(Teacher2)).Count);
    }

    [Fact]
    public async Task ClassWithoutARole_AsTeacher2_LooksAsIfItDidNotExist()
    {
        var (classId, ownerId, members) = await ExitApiTests.ClassAsync(factory, "高一(3)班");
        Assert.DoesNotContain(classId, await StaffClassesAsync(Teacher2));
        // A transfer in its history (cancelled at once: nothing else changes), so that "no history" means hidden, not empty.
        await using (var db = factory.SystemDb())
        {
            var now = DateTimeOffset.UtcNow;
            var to = members.First(m => m.Role == ClassRole.Teacher).MemberId;
            var transfer = new OwnershipTransfer(await SchoolAsync(), classId, ownerId, to, ownerId, now, now.AddDays(7), "read scope test", null);
            transfer.Cancel(now);
            db.OwnershipTransfers.Add(transfer);
            await db.SaveChangesAsync();
        }

        var (classes, s1) = await factory.ServiceAsAsync<ClassesService>(Teacher2);
        var (ownership, s2) = await factory.ServiceAsAsync<OwnershipService>(Teacher2);
        using (s1)
        using (s2)
        {
            Assert.Null(await classes.GetDetailAsync(classId));
            Assert.Null(await classes.GetMembersAsync(classId, All));
            Assert.Empty(await ownership.HistoryAsync(classId));
            // Their own class opens as before.
            var own = await ClassIdAsync("高一(1)班");
            Assert.NotNull(await classes.GetDetailAsync(own));
            Assert.NotEmpty((await classes.GetMembersAsync(own, All))!.Items);
        }

        var (adminClasses, s3) = await factory.ServiceAsAsync<ClassesService>("admin@school.demo");
        var (adminOwnership, s4) = await factory.ServiceAsAsync<OwnershipService>("admin@school.demo");
        using (s3)
        using (s4)
        {
            Assert.NotNull(await adminClasses.GetDetailAsync(classId));
            Assert.NotEmpty((await adminClasses.GetMembersAsync(classId, All))!.Items);
            Assert.NotEmpty(await adminOwnership.HistoryAsync(classId));
        }
    }

    [Fact]
    public async Task MemberPage_AsTeacher2_OnlyForMembersOfTheirClasses_AndOnlyThoseClassesShown()
    {
        var mine = await StaffClassesAsync(Teacher2);
        long inside, outside;
        var ids = mine.ToArray();
        await using (var db = factory.SystemDb())
        {
            var school = await SchoolAsync();
            var own = await ClassIdAsync("高一(1)班");
            // A student of their class who is also in a class of which teacher2 sees nothing.
            inside = await db.Memberships.Where(m => m.ClassId == own && m.Role == ClassRole.Student)
                .Where(m => db.Memberships.Any(o => o.MemberId == m.MemberId && !ids.Contains(o.ClassId)))
                .Select(m => m.MemberId).FirstAsync();
            // Someone in none of their classes.
            outside = await db.Members.Where(m => m.OrganisationId == school && db.Memberships.Any(o => o.MemberId == m.Id))
                .Where(m => !db.Memberships.Any(o => o.MemberId == m.Id && ids.Contains(o.ClassId)))
                .Select(m => m.Id).FirstAsync();
        }

        var (members, s1) = await factory.ServiceAsAsync<MembersService>(Teacher2);
        using (s1)
        {
            Assert.Null(await members.GetAsync(outside));
            var detail = await members.GetAsync(inside);
            Assert.NotNull(detail);
            Assert.False(detail.OrganisationWide);
            Assert.Null(detail.Devices);
            Assert.NotEmpty(detail.Classes);
            Assert.All(detail.Classes, c => Assert.Contains(c.ClassId, mine));
            Assert.DoesNotContain(detail.Exits, e => !mine.Contains(e.ClassId));
        }

        var (adminMembers, s2) = await factory.ServiceAsAsync<MembersService>("admin@school.demo");
        using (s2)
        {
            Assert.NotNull(await adminMembers.GetAsync(outside));
            var full = await adminMembers.GetAsync(inside);
            Assert.NotNull(full);
            Assert.True(full.OrganisationWide);
            Assert.Contains(full.Classes, c => !mine.Contains(c.ClassId));
        }
    }

    [Fact]
    public async Task OrganisationLists_AsTeacher2_AreEmptyOrNotFound()
    {
        var (memberWithDevices, departed) = await MemberWithDevicesAndDepartedAsync();

        var (members, s1) = await factory.ServiceAsAsync<MembersService>(Teacher2);
        var (devices, s2) = await factory.ServiceAsAsync<DeviceSyncService>(Teacher2);
        var (health, s3) = await factory.ServiceAsAsync<SyncHealthService>(Teacher2);
        var (retention, s4) = await factory.ServiceAsAsync<RetentionService>(Teacher2);
        using (s1) using (s2) using (s3) using (s4)
        {
            var directory = await members.SearchAsync(null, All);
            Assert.Equal(0, directory.Total);
            Assert.Empty(directory.Items);
            Assert.Equal(0, (await devices.StaleAsync(null, All)).Total);
            Assert.Null(await devices.DevicesAsync(memberWithDevices));
            Assert.Empty(await health.StatsAsync(TimeSpan.FromDays(7)));
            Assert.Empty(await retention.RunsAsync());
            Assert.Empty(await retention.HoldsAsync());
            Assert.Empty(await retention.UpcomingAsync());
            Assert.Empty(await retention.TimelineAsync(departed));
        }
    }

    [Theory]
    [MemberData(nameof(OrganisationReaders))]
    public async Task OrganisationLists_AsOrganisationReader_AreFull(string email)
    {
        var (memberWithDevices, departed) = await MemberWithDevicesAndDepartedAsync();
        int everyMember, stale, everyExit;
        await using (var db = factory.SystemDb())
        {
            var school = await SchoolAsync();
            everyMember = await db.Members.CountAsync(m => m.OrganisationId == school);
            stale = await db.Devices.CountAsync(d => d.OrganisationId == school && d.IsStale);
            everyExit = await db.ExitRequests.CountAsync(e => e.OrganisationId == school);
        }

        var (members, s1) = await factory.ServiceAsAsync<MembersService>(email);
        var (devices, s2) = await factory.ServiceAsAsync<DeviceSyncService>(email);
        var (health, s3) = await factory.ServiceAsAsync<SyncHealthService>(email);
        var (retention, s4) = await factory.ServiceAsAsync<RetentionService>(email);
        var (queries, s5) = await factory.ServiceAsAsync<ExitQueries>(email);
        using (s1) using (s2) using (s3) using (s4) using (s5)
        {
            Assert.Equal(everyMember, (await members.SearchAsync(null, All)).Total);
            Assert.Equal(stale, (await devices.StaleAsync(null, All)).Total);
            Assert.NotEmpty((await devices.DevicesAsync(memberWithDevices))!.Items);
            Assert.Equal(Enum.GetValues<NetworkClass>().Length, (await health.StatsAsync(TimeSpan.FromDays(7))).Count);
            Assert.Equal(31, (await retention.UpcomingAsync()).Count);
            Assert.NotEmpty(await retention.TimelineAsync(departed));
            Assert.Equal(everyExit, (await queries.SearchAsync(new ExitRequestFilter(), All)).Total);
        }
    }

    private async Task<(long MemberWithDevices, long Departed)> MemberWithDevicesAndDepartedAsync()
    {
        var school = await SchoolAsync();
        await using var db = factory.SystemDb();
        var withDevices = await db.Devices.Where(d => d.OrganisationId == school).Select(d => d.MemberId).FirstAsync();
        var departed = await db.Memberships.Where(m => m.OrganisationId == school && m.State == MembershipState.Left).Select(m => m.MemberId).FirstAsync();
        return (withDevices, departed);
    }

    [Fact]
    public async Task Dashboard_AsTeacher2_CountsTheirClassesOnly_AndNoOrganisationTotals()
    {
        var mine = (await StaffClassesAsync(Teacher2)).ToArray();
        var me = await MemberOfAsync(Teacher2);
        int activeClasses, activeMembers, exits, transfers, everyActiveClass;
        await using (var db = factory.SystemDb())
        {
            var school = await SchoolAsync();
            activeClasses = await db.Classes.CountAsync(c => mine.Contains(c.Id) && c.Status == ClassStatus.Active);
            everyActiveClass = await db.Classes.CountAsync(c => c.OrganisationId == school && c.Status == ClassStatus.Active);
            activeMembers = await db.Memberships.Where(m => mine.Contains(m.ClassId) && m.State == MembershipState.Active).Select(m => m.MemberId).Distinct().CountAsync();
            exits = await db.ExitRequests.CountAsync(e => mine.Contains(e.ClassId));
            transfers = await db.OwnershipTransfers.CountAsync(t => t.Status == TransferStatus.Pending
                && (t.ToMemberId == me || t.FromMemberId == me || t.ProposedByMemberId == me));
        }
        Assert.True(activeClasses > 0);

        var (dashboard, s1) = await factory.ServiceAsAsync<DashboardService>(Teacher2);
        var (adminDashboard, s2) = await factory.ServiceAsAsync<DashboardService>("admin@school.demo");
        using (s1) using (s2)
        {
            var counts = await dashboard.GetAsync();
            Assert.False(counts.OrganisationWide);
            Assert.Null(counts.Members);
            Assert.Null(counts.StaleDevices);
            Assert.Equal(activeClasses, counts.ActiveClasses);
            Assert.Equal(activeMembers, counts.ActiveMembers);
            Assert.Equal(exits, counts.ExitRequestsByStatus.Values.Sum());
            Assert.Equal(transfers, counts.PendingTransfers);

            var totals = await adminDashboard.GetAsync();
            Assert.True(totals.OrganisationWide);
            Assert.NotNull(totals.Members);
            Assert.NotNull(totals.StaleDevices);
            Assert.Equal(everyActiveClass, totals.ActiveClasses);
            Assert.True(totals.ActiveClasses > counts.ActiveClasses);
        }
    }

    [Fact]
    public async Task ApprovalQueue_AsTeacher2_ShowsOnlyRequestsOfTheirClasses()
    {
        var mine = await StaffClassesAsync(Teacher2);
        var ownRequest = await PendingTeacherExitAsync("高一(2)班");
        var pending = new ExitRequestFilter(ExitRequestStatus.PendingApproval);

        var (queries, s1) = await factory.ServiceAsAsync<ExitQueries>(Teacher2);
        var (adminQueries, s2) = await factory.ServiceAsAsync<ExitQueries>("admin@school.demo");
        using (s1) using (s2)
        {
            var queue = await queries.SearchAsync(pending, All);
            Assert.NotEmpty(queue.Items);
            Assert.All(queue.Items, r => Assert.Contains(r.ClassId, mine));
            Assert.Contains(queue.Items, r => r.ExitRequestId == ownRequest);
            Assert.NotNull(await queries.GetDetailAsync(ownRequest));

            var everyPending = await adminQueries.SearchAsync(pending, All);
            var elsewhere = everyPending.Items.First(r => !mine.Contains(r.ClassId)).ExitRequestId;
            Assert.True(everyPending.Total > queue.Total);
            Assert.Null(await queries.GetAsync(elsewhere));
            Assert.Null(await queries.GetDetailAsync(elsewhere));
            Assert.NotNull(await adminQueries.GetDetailAsync(elsewhere));

            // The history without a status filter keeps to the same classes.
            var history = await queries.SearchAsync(new ExitRequestFilter(), All);
            Assert.NotEmpty(history.Items);
            Assert.All(history.Items, r => Assert.Contains(r.ClassId, mine));
        }
    }

    /// <summary>A teacher of the class (neither demo teacher) asks to leave over the API, duties planned to a colleague: pending.</summary>
    private async Task<long> PendingTeacherExitAsync(string className)
    {
        var (classId, _, members) = await ExitApiTests.ClassAsync(factory, className);
        var demo = new[] { await MemberOfAsync("teacher@school.demo"), await MemberOfAsync(Teacher2) };
        var teachers = members.Where(m => m.Role == ClassRole.Teacher).Select(m => m.MemberId).ToList();
        var leaver = teachers.First(t => !demo.Contains(t));
        var successor = teachers.First(t => t != leaver);
        List<object> handover;
        await using (var db = factory.SystemDb())
        {
            var assignments = await db.Assignments.Where(a => a.ClassId == classId && a.ResponsibleMemberId == leaver
                && (a.Status == AssignmentStatus.Open || a.GradedCount < a.SubmissionCount)).Select(a => a.Id).ToListAsync();
            var streams = await db.LiveStreams.Where(l => l.ClassId == classId && l.HostMemberId == leaver
                && (l.Status == LiveStreamStatus.Scheduled || l.Status == LiveStreamStatus.Running)).Select(l => l.Id).ToListAsync();
            handover = [.. assignments.Select(id => (object)new { duty_id = id, to_member_id = successor, kind = "assignment" }),
                .. streams.Select(id => (object)new { duty_id = id, to_member_id = successor, kind = "live_stream" })];
        }
        var response = await factory.WithKey(DemoSeeder.SchoolApiKey)
            .SendAsync(ExitApiTests.Exit(factory, classId, new { member_id = leaver, channel = "pc", verification = "sms", handover }));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.JsonAsync()).GetProperty("exit_request_id").GetInt64();
    }

    [Theory]
    [InlineData("/members")]
    [InlineData("/exits")]
    [InlineData("/retention")]
    [InlineData("/sync-health")]
    public async Task OrganisationPage_AsTeacher2_IsRefused_AsHr_Opens(string path)
    {
        var staff = factory.CreateBrowserLikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await factory.SignInAsync(staff, Teacher2)).StatusCode);
        var refused = await staff.GetAsync(path);
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.Contains("/Account/AccessDenied", refused.Headers.Location?.ToString());

        var hr = factory.CreateBrowserLikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await factory.SignInAsync(hr, "hr@school.demo")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await hr.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task HomePage_AsTeacher2_ShowsTheirClasses_AndTheNavOffersNoOrganisationList()
    {
        var staff = factory.CreateBrowserLikeClient();
        staff.DefaultRequestHeaders.AcceptLanguage.ParseAdd("zh-CN");
        await factory.SignInAsync(staff, Teacher2);
        var response = await staff.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("data-testid=\"dashboard-my-scope\"", html);
        Assert.Contains("我的班级", html);
        Assert.Contains("href=\"classes\"", html);
        Assert.Contains("href=\"approvals\"", html);
        foreach (var link in new[] { "members", "exits", "retention", "sync-health" })
            Assert.DoesNotContain($"href=\"{link}\"", html);

        var admin = factory.CreateBrowserLikeClient();
        admin.DefaultRequestHeaders.AcceptLanguage.ParseAdd("zh-CN");
        await factory.SignInAsync(admin, "admin@school.demo");
        var adminHtml = await (await admin.GetAsync("/")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("data-testid=\"dashboard-my-scope\"", adminHtml);
        foreach (var link in new[] { "members", "exits", "retention", "sync-health" })
            Assert.Contains($"href=\"{link}\"", adminHtml);
    }

    [Fact]
    public async Task MemberPage_OfAMemberOutsideTheirClasses_AsTeacher2_ReadsNotFound()
    {
        var ids = (await StaffClassesAsync(Teacher2)).ToArray();
        long outside;
        await using (var db = factory.SystemDb())
        {
            var school = await SchoolAsync();
            outside = await db.Members.Where(m => m.OrganisationId == school && db.Memberships.Any(o => o.MemberId == m.Id))
                .Where(m => !db.Memberships.Any(o => o.MemberId == m.Id && ids.Contains(o.ClassId)))
                .Select(m => m.Id).FirstAsync();
        }
        var staff = factory.CreateBrowserLikeClient();
        await factory.SignInAsync(staff, Teacher2);
        var html = await (await staff.GetAsync($"/members/{outside}")).Content.ReadAsStringAsync();
        Assert.Contains("data-testid=\"member-not-found\"", html);

        var admin = factory.CreateBrowserLikeClient();
        await factory.SignInAsync(admin, "admin@school.demo");
        var adminHtml = await (await admin.GetAsync($"/members/{outside}")).Content.ReadAsStringAsync();
        Assert.Contains("data-testid=\"member-name\"", adminHtml);
    }
}
