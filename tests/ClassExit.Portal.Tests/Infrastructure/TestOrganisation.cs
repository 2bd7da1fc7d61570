using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ClassExit.Portal.Tests.Infrastructure;

/// <summary>A class a test built: its id, its owner and its active members in the order they were added (owner first).</summary>
public sealed record TestClass(long ClassId, string Name, long OwnerId, List<(long MemberId, ClassRole Role)> Members)
{
    public IReadOnlyList<long> Students => Members.Where(m => m.Role == ClassRole.Student).Select(m => m.MemberId).ToList();
    public IReadOnlyList<long> Teachers => Members.Where(m => m.Role == ClassRole.Teacher).Select(m => m.MemberId).ToList();
    public IReadOnlyList<long> ClassAdmins => Members.Where(m => m.Role == ClassRole.ClassAdmin).Select(m => m.MemberId).ToList();

    /// <summary>The same shape as <c>ExitApiTests.ClassAsync</c> gave for a demo class.</summary>
    public void Deconstruct(out long classId, out long ownerId, out List<(long MemberId, ClassRole Role)> members) =>
        (classId, ownerId, members) = (ClassId, OwnerId, Members);
}

/// <summary>
/// An organisation of one test's own inside a shared portal database (grown from <c>RetentionTests.OrganisationWithLeaversAsync</c>):
/// an enterprise admin and an HR operator with portal accounts (the demo password, so that step-up works), the HR system's API key,
/// the reason codes 200001/200002, and the classes, staff and students the test adds. Every member has one registered, bound device,
/// so that a client exit for them passes the device rules. The demo organisations stay untouched; only DemoDataTests read them.
/// </summary>
public sealed class TestOrganisation
{
    private static int _next;
    private static string? _passwordHash;
    private readonly Func<PortalDbContext> _db;
    private readonly IServiceProvider _services;
    private int _members;

    private TestOrganisation(Func<PortalDbContext> db, IServiceProvider services, string tag, FakeTimeProvider clock)
    {
        _db = db;
        _services = services;
        Tag = tag;
        Clock = clock;
    }

    /// <summary>Unique in the run: emails are <c>name@{Tag}.test</c>, device ids start with it.</summary>
    public string Tag { get; }

    public long Id { get; private set; }
    public string Name => $"Test {Tag}";

    /// <summary>The test's clock: the organisation's data is dated by it; services the test builds take it.</summary>
    public FakeTimeProvider Clock { get; }

    public string ApiKey => $"{Tag}-hr-key";
    public string AdminEmail => Email("admin");
    public string HrEmail => Email("hr");
    public long AdminMemberId { get; private set; }
    public long HrMemberId { get; private set; }

    public string Email(string localPart) => $"{localPart}@{Tag}.test";

    /// <param name="tag">A short name for the test (letters, digits, dashes); a run-wide counter makes it unique.</param>
    /// <param name="clock">The test's clock; by default a new <see cref="FakeTimeProvider"/> at the portal's present.</param>
    public static async Task<TestOrganisation> CreateAsync(PortalFactory factory, string tag, ExitPolicy? policy = null,
        OrganisationKind kind = OrganisationKind.Education, FakeTimeProvider? clock = null)
    {
        clock ??= new FakeTimeProvider(factory.Services.GetRequiredService<TimeProvider>().GetUtcNow());
        var org = new TestOrganisation(factory.SystemDb, factory.Services, $"{tag.ToLowerInvariant()}-{Interlocked.Increment(ref _next)}", clock);
        await org.CreateAsync(kind, policy);
        return org;
    }

    private async Task CreateAsync(OrganisationKind kind, ExitPolicy? policy)
    {
        await using (var db = _db())
        {
            var organisation = new Organisation(Name, "Asia/Shanghai", kind, policy);
            db.Organisations.Add(organisation);
            await db.SaveChangesAsync();
            Id = organisation.Id;
            db.ReasonCodes.Add(new ReasonCode(Id, "200001", "部门重组"));
            db.ReasonCodes.Add(new ReasonCode(Id, "200002", "实习期满"));
            await db.SaveChangesAsync();
        }
        AdminMemberId = await AddAccountAsync("admin", OrgRole.EnterpriseAdmin, PortalRoles.EnterpriseAdmin);
        HrMemberId = await AddAccountAsync("hr", OrgRole.Staff, [PortalRoles.HrOperator], hrPermission: true);
        await using (var db = _db())
        {
            db.ApiKeys.Add(new ApiKey(Id, "HR 系统（测试）", HrMemberId, ApiKey, Clock.GetUtcNow()));
            await db.SaveChangesAsync();
        }
    }

    /// <summary>A member with a device and a portal account <c>{localPart}@{Tag}.test</c> (the demo password) in <paramref name="roles"/>.</summary>
    public Task<long> AddAccountAsync(string localPart, OrgRole orgRole, params string[] roles) => AddAccountAsync(localPart, orgRole, roles, hrPermission: false);

    private async Task<long> AddAccountAsync(string localPart, OrgRole orgRole, string[] roles, bool hrPermission)
    {
        var email = Email(localPart);
        var memberId = await AddMemberAsync(localPart, orgRole, email, hrPermission);
        await GiveAccountAsync(memberId, email, roles);
        return memberId;
    }

    /// <summary>A portal account for an existing member of the organisation (e.g. a teacher added with a class).</summary>
    public async Task<string> GiveAccountAsync(long memberId, string localPart, params string[] roles)
    {
        var email = localPart.Contains('@') ? localPart : Email(localPart);
        using var scope = _services.CreateScope();
        var normalizer = scope.ServiceProvider.GetRequiredService<ILookupNormalizer>();
        await using var db = _db();
        var user = new PortalUser
        {
            UserName = email,
            NormalizedUserName = normalizer.NormalizeName(email),
            Email = email,
            NormalizedEmail = normalizer.NormalizeEmail(email),
            EmailConfirmed = true,
            LockoutEnabled = true,
            SecurityStamp = Guid.NewGuid().ToString("N"),
            OrganisationId = Id,
            MemberId = memberId,
            DisplayName = localPart,
        };
        // One hash of the demo password serves every test account (the default hasher ignores the user; hashing is slow on purpose).
        user.PasswordHash = _passwordHash ??= scope.ServiceProvider.GetRequiredService<IPasswordHasher<PortalUser>>().HashPassword(user, DemoSeeder.Password);
        db.Users.Add(user);
        foreach (var role in roles)
        {
            var roleId = await db.Roles.Where(r => r.Name == role).Select(r => r.Id).SingleAsync();
            db.UserRoles.Add(new IdentityUserRole<string> { UserId = user.Id, RoleId = roleId });
        }
        await db.SaveChangesAsync();
        return email;
    }

    /// <summary>A member of the organisation with one registered, bound device (<c>{Tag}-{memberId}-D1</c>).</summary>
    public async Task<long> AddMemberAsync(string name, OrgRole orgRole = OrgRole.Member, string? email = null, bool hrPermission = false)
    {
        await using var db = _db();
        var member = new Member(Id, name, $"T{Interlocked.Increment(ref _members):D5}", orgRole, email);
        if (hrPermission) member.GrantHrPermission();
        db.Members.Add(member);
        await db.SaveChangesAsync();
        db.Devices.Add(new Device(DeviceOf(member.Id), Id, member.Id, Platform.Windows, NetworkClass.SameNetwork, "3.2.1", "00:00:00:00:00:01", bound: true));
        await db.SaveChangesAsync();
        return member.Id;
    }

    /// <summary>The registered device every member of this organisation gets.</summary>
    public string DeviceOf(long memberId) => $"{Tag}-{memberId}-D1";

    /// <summary>
    /// A class owned by <paramref name="ownerId"/> (a new staff member by default) with new teachers, class admins and students, all
    /// joined 90 days ago; <paramref name="alsoTeachers"/> are existing members who teach in it too. Each student wrote
    /// <paramref name="messagesEach"/> chat messages.
    /// </summary>
    public async Task<TestClass> AddClassAsync(string name, long? ownerId = null, int teachers = 2, int classAdmins = 1, int students = 4,
        int messagesEach = 0, Classification classification = Classification.Normal, bool exitLocked = false, DateOnly? termEndsOn = null,
        IEnumerable<long>? alsoTeachers = null)
    {
        var now = Clock.GetUtcNow();
        var owner = ownerId ?? await AddMemberAsync($"{name} 班主任", OrgRole.Staff);
        var members = new List<(long MemberId, ClassRole Role)> { (owner, ClassRole.Owner) };
        for (var i = 0; i < teachers; i++) members.Add((await AddMemberAsync($"{name} 老师 {i + 1}", OrgRole.Staff), ClassRole.Teacher));
        foreach (var t in alsoTeachers ?? []) members.Add((t, ClassRole.Teacher));
        for (var i = 0; i < classAdmins; i++) members.Add((await AddMemberAsync($"{name} 班委 {i + 1}"), ClassRole.ClassAdmin));
        for (var i = 0; i < students; i++) members.Add((await AddMemberAsync($"{name} 学生 {i + 1}"), ClassRole.Student));

        await using var db = _db();
        // The organisation's tag in the name: a class of a test never shares its name with a demo class or another test's.
        name = $"{name} ·{Tag}";
        var group = new ClassGroup(Id, name, owner, termEndsOn ?? DateOnly.FromDateTime(now.UtcDateTime).AddDays(90), now.AddDays(-100), classification, exitLocked);
        db.Classes.Add(group);
        await db.SaveChangesAsync();
        foreach (var (memberId, role) in members) db.Memberships.Add(new Membership(Id, group.Id, memberId, role, now.AddDays(-90)));
        foreach (var (memberId, _) in members.Where(m => m.Role == ClassRole.Student))
            for (var i = 0; i < messagesEach; i++)
                db.ChatMessages.Add(new ChatMessage(Id, group.Id, memberId, $"消息 {i}", now.AddDays(-10 + i % 10)));
        await db.SaveChangesAsync();
        return new TestClass(group.Id, name, owner, members);
    }

    /// <summary>Open duties of <paramref name="memberId"/> in a class: an assignment still to grade and a scheduled live stream.</summary>
    public async Task<List<(DutyKind Kind, long Id)>> AddOpenDutiesAsync(long classId, long memberId)
    {
        var now = Clock.GetUtcNow();
        await using var db = _db();
        var assignment = new Assignment(Id, classId, memberId, "期中作业", now.AddDays(7), submissionCount: 3, gradedCount: 1);
        var stream = new LiveStream(Id, classId, memberId, "复习直播", now.AddDays(2));
        db.AddRange(assignment, stream);
        await db.SaveChangesAsync();
        return [(DutyKind.Assignment, assignment.Id), (DutyKind.LiveStream, stream.Id)];
    }
}
