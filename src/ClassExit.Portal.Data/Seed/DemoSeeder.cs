using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Exits.Policy;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Data.Seed;

/// <summary>A demo sign-in, printed at start-up.</summary>
public sealed record DemoSignIn(string Email, string Role, string Organisation);

/// <summary>
/// Seeds the two demo organisations of api.md (Demo School, Demo Finance), idempotently: nothing happens when
/// the organisations exist already. Deterministic (fixed random seed) so that tests can rely on its shape.
/// </summary>
/// <remarks>Users are written through the seeder's own context (not UserManager's) so that everything is one transaction.</remarks>
public sealed class DemoSeeder(PortalDbContext db, IPasswordHasher<PortalUser> hasher, ILookupNormalizer normalizer, TimeProvider clock)
{
    public const string Password = "Demo#2026!";
    public const string SchoolName = "Demo School";
    public const string FinanceName = "Demo Finance";
    public const string SchoolApiKey = "demo-school-hr-key";
    public const string FinanceApiKey = "demo-finance-hr-key";
    public const int MembersPerOrganisation = 1000;
    /// <summary>What the sign-in banner says of a platform account's organisation: it has none.</summary>
    public const string PlatformName = "no organisation (platform)";

    public static readonly IReadOnlyList<DemoSignIn> SignIns =
    [
        new("admin@school.demo", "Enterprise admin", SchoolName),
        new("hr@school.demo", "HR operator", SchoolName),
        new("teacher@school.demo", "School staff (owns classes)", SchoolName),
        new("teacher2@school.demo", "School staff (teaches in teacher@'s classes)", SchoolName),
        new("auditor@school.demo", "Auditor", SchoolName),
        new("admin@finance.demo", "Enterprise admin", FinanceName),
        new("hr@finance.demo", "HR operator", FinanceName),
        new("operator@platform.demo", "Platform operator", PlatformName),
    ];

    private readonly Random _random = new(20261125);
    private int _signIns;

    public async Task<bool> SeedAsync(CancellationToken ct = default)
    {
        db.ForSystem();
        if (await db.Organisations.AnyAsync(o => o.Name == SchoolName || o.Name == FinanceName, ct)) return false;

        var now = clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var school = await SeedSchoolAsync(now, ct);
        var finance = await SeedFinanceAsync(now, ct);
        await AddPlatformOperatorAsync("operator@platform.demo", "平台运营 林涛", ct);
        db.AuditEntries.Add(new AuditEntry(school.Id, now, "demo.seeded", AuditOutcome.Succeeded, null, null, "system", "Organisation",
            school.Id.ToString(), Guid.NewGuid().ToString("N")));
        db.AuditEntries.Add(new AuditEntry(finance.Id, now, "demo.seeded", AuditOutcome.Succeeded, null, null, "system", "Organisation",
            finance.Id.ToString(), Guid.NewGuid().ToString("N")));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }

    private async Task<Organisation> SeedSchoolAsync(DateTimeOffset now, CancellationToken ct)
    {
        var org = new Organisation(SchoolName, "Asia/Shanghai", OrganisationKind.Education, new ExitPolicy { FreezeWindowDays = 14 });
        db.Organisations.Add(org);
        await db.SaveChangesAsync(ct);
        var today = org.LocalDate(now);

        var people = await SeedPeopleAsync(org, "S", staffCount: 90, now, ct);
        var admin = await AddSignInMemberAsync(org, "admin@school.demo", "管理员 周敏", OrgRole.EnterpriseAdmin, [PortalRoles.EnterpriseAdmin], ct);
        var hr = await AddSignInMemberAsync(org, "hr@school.demo", "人事 何静", OrgRole.Staff, [PortalRoles.HrOperator], ct, hrPermission: true);
        var teacher = await AddSignInMemberAsync(org, "teacher@school.demo", "王老师 王建华", OrgRole.Staff, [PortalRoles.SchoolStaff], ct);
        var teacher2 = await AddSignInMemberAsync(org, "teacher2@school.demo", "李老师 李明", OrgRole.Staff, [PortalRoles.SchoolStaff], ct);
        await AddSignInMemberAsync(org, "auditor@school.demo", "审计 陈洁", OrgRole.Staff, [PortalRoles.Auditor], ct);

        var specs = new List<ClassSpec>();
        string[] grades = ["高一", "高二", "高三"];
        foreach (var grade in grades)
            for (var i = 1; i <= 12; i++)
                specs.Add(new ClassSpec($"{grade}({i})班", NormalTermEnd(today)));
        specs.AddRange([
            new ClassSpec("物理竞赛班", NormalTermEnd(today)),
            new ClassSpec("数学建模兴趣班", NormalTermEnd(today)),
            new ClassSpec("英语角", NormalTermEnd(today)),
            new ClassSpec("教师发展研修班", NormalTermEnd(today)),
            // Policies at work (api.md): blacklisted, key, classified, inside the freeze window.
            new ClassSpec("校务委员会（禁止退出）", NormalTermEnd(today), ExitLocked: true),
            new ClassSpec("国防教育保密小组", NormalTermEnd(today), Classification.Key, ResigningMember: true),
            new ClassSpec("涉密档案管理班", NormalTermEnd(today), Classification.Classified),
            new ClassSpec("高三(13)班 期末冲刺", today.AddDays(7)),
        ]);
        // The teacher demo account owns the first two classes and the competition class.
        specs[0] = specs[0] with { Owner = teacher };
        specs[1] = specs[1] with { Owner = teacher };
        specs[36] = specs[36] with { Owner = teacher };
        await SeedClassesAsync(org, specs, people, now, teacherAccount: teacher, adminAccount: admin, ct, secondTeacher: teacher2);
        await SeedPendingExitsAsync(org, now, ct);
        await SeedPastLeaversAsync(org, now, ct);
        await MarkOwnerResigningAsync(org, "数学建模兴趣班", ct);
        await SeedSyncHistoryAsync(org, now, ct);

        SeedReasonCodes(org, [("100001", "学期调班"), ("100002", "转学"),
            ("100003", "毕业离校"), ("200001", "部门重组"), ("200002", "实习期满")]);
        db.ApiKeys.Add(new ApiKey(org.Id, "HR 系统（演示）", hr.Id, SchoolApiKey, now));
        await db.SaveChangesAsync(ct);
        return org;
    }

    private async Task<Organisation> SeedFinanceAsync(DateTimeOffset now, CancellationToken ct)
    {
        var org = new Organisation(FinanceName, "Asia/Shanghai", OrganisationKind.Finance, new ExitPolicy { ExitRequiresApproval = true });
        db.Organisations.Add(org);
        await db.SaveChangesAsync(ct);
        var today = org.LocalDate(now);

        var people = await SeedPeopleAsync(org, "F", staffCount: 90, now, ct);
        var admin = await AddSignInMemberAsync(org, "admin@finance.demo", "管理员 赵磊", OrgRole.EnterpriseAdmin, [PortalRoles.EnterpriseAdmin], ct);
        var hr = await AddSignInMemberAsync(org, "hr@finance.demo", "人事 孙丽", OrgRole.Staff, [PortalRoles.HrOperator], ct, hrPermission: true);

        var specs = new List<ClassSpec>();
        for (var i = 1; i <= 16; i++)
            specs.Add(new ClassSpec($"销售培训班 第{i}期", NormalTermEnd(today), Checklist: ["客户资料交接", "在途业务移交"]));
        string[] topics = ["合规培训", "反洗钱基础", "新员工入职培训", "理财经理认证", "信贷风险管理", "客户服务礼仪", "Excel 数据分析", "领导力发展"];
        foreach (var topic in topics)
            for (var i = 1; i <= 3; i++)
                specs.Add(new ClassSpec($"{topic} {i}班", NormalTermEnd(today)));
        specs.AddRange([
            new ClassSpec("反洗钱核心小组（禁止退出）", NormalTermEnd(today), ExitLocked: true),
            new ClassSpec("核心交易系统项目组", NormalTermEnd(today), Classification.Key, ResigningMember: true),
            new ClassSpec("监管报送专班", NormalTermEnd(today), Classification.Classified),
        ]);
        await SeedClassesAsync(org, specs, people, now, teacherAccount: null, adminAccount: admin, ct);
        await SeedPendingExitsAsync(org, now, ct);
        await SeedPastLeaversAsync(org, now, ct);
        await MarkOwnerResigningAsync(org, "领导力发展 1班", ct);
        await SeedSyncHistoryAsync(org, now, ct);

        SeedReasonCodes(org, [("300001", "岗位调整"), ("300002", "实习期满"), ("300003", "离职"),
            ("300004", "部门重组")]);
        db.ApiKeys.Add(new ApiKey(org.Id, "HR 系统（演示）", hr.Id, FinanceApiKey, now));
        await db.SaveChangesAsync(ct);
        return org;
    }

    /// <summary>
    /// A few requests waiting in the approval queue: students in the first normal classes (one of them older than the SLA)
    /// and, in the school, a teacher whose open duties are planned to a colleague.
    /// </summary>
    private async Task SeedPendingExitsAsync(Organisation org, DateTimeOffset now, CancellationToken ct)
    {
        var classes = await db.Classes.Where(c => c.OrganisationId == org.Id && c.Classification == Classification.Normal && !c.ExitLocked && !c.Checklist.Any())
            .OrderBy(c => c.Id).Skip(4).Take(4).ToListAsync(ct);
        var ageHours = new[] { 72, 30, 5, 1 };
        for (var i = 0; i < classes.Count; i++)
        {
            var c = classes[i];
            var membership = await db.Memberships.Where(m => m.ClassId == c.Id && m.Role == ClassRole.Student).OrderByDescending(m => m.Id).FirstAsync(ct);
            var created = now.AddHours(-ageHours[i]);
            var request = new ExitRequest(org.Id, c.Id, membership.MemberId, ClassRole.Student, ExitKind.SelfExit, i % 2 == 0 ? ExitChannel.Mobile : ExitChannel.Pc,
                i % 2 == 0 ? VerificationMethod.Biometric : VerificationMethod.Sms, membership.MemberId, created);
            if (org.Kind == OrganisationKind.Education && i == 1)
            {
                // A teacher of the class instead, with every open duty planned to another teacher.
                var teachers = await db.Memberships.Where(m => m.ClassId == c.Id && m.Role == ClassRole.Teacher).OrderBy(m => m.Id).ToListAsync(ct);
                membership = teachers[0];
                request = new ExitRequest(org.Id, c.Id, membership.MemberId, ClassRole.Teacher, ExitKind.SelfExit, ExitChannel.Pc, VerificationMethod.Sms,
                    membership.MemberId, created);
                foreach (var a in await db.Assignments.Where(a => a.ClassId == c.Id && a.ResponsibleMemberId == membership.MemberId).ToListAsync(ct))
                    if (a.IsUnfinished) request.PlanHandover(DutyKind.Assignment, a.Id, teachers[1].MemberId);
                foreach (var l in await db.LiveStreams.Where(l => l.ClassId == c.Id && l.HostMemberId == membership.MemberId).ToListAsync(ct))
                    if (l.IsUnfinished) request.PlanHandover(DutyKind.LiveStream, l.Id, teachers[1].MemberId);
            }
            membership.MarkExitPending();
            db.ExitRequests.Add(request);
            await db.SaveChangesAsync(ct);
            db.AuditEntries.Add(new AuditEntry(org.Id, created, "exit.requested", AuditOutcome.Succeeded, null, membership.MemberId, "demo seed",
                "ExitRequest", request.Id.ToString(), Guid.NewGuid().ToString("N"), c.Id, membership.MemberId));
        }
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Students who left in the last six weeks, so that retention is alive at first start: their messages are scheduled for purge
    /// by the organisation's policy from the day they left (some already due), and a policy change shows what it would reschedule.
    /// </summary>
    private async Task SeedPastLeaversAsync(Organisation org, DateTimeOffset now, CancellationToken ct)
    {
        var classes = await db.Classes.Where(c => c.OrganisationId == org.Id && c.Classification == Classification.Normal && !c.ExitLocked && !c.Checklist.Any())
            .OrderBy(c => c.Id).Skip(10).Take(10).ToListAsync(ct);
        var daysAgo = new[] { 3, 9, 16, 22, 27, 29, 31, 34, 38, 43 };
        for (var i = 0; i < classes.Count; i++)
        {
            var c = classes[i];
            var membership = await db.Memberships.Where(m => m.ClassId == c.Id && m.Role == ClassRole.Student && m.State == MembershipState.Active)
                .OrderByDescending(m => m.Id).Skip(1).FirstAsync(ct);
            var leftAt = now.AddDays(-daysAgo[i]).AddMinutes(-_random.Next(600));
            var forced = i % 4 == 3;
            var request = new ExitRequest(org.Id, c.Id, membership.MemberId, ClassRole.Student, forced ? ExitKind.ForceRemoval : ExitKind.SelfExit,
                forced ? ExitChannel.Portal : ExitChannel.Mobile, forced ? VerificationMethod.Password : VerificationMethod.Biometric,
                membership.MemberId, leftAt, reason: forced ? "违反班级纪律" : null);
            request.Complete(leftAt);
            membership.Leave(leftAt, forced);
            db.ExitRequests.Add(request);
            var purgeAfter = RetentionRules.PurgeAfter(leftAt, ClassRole.Student, false, c.Classification, org.Policy);
            foreach (var message in await db.ChatMessages.Where(m => m.ClassId == c.Id && m.SenderMemberId == membership.MemberId).ToListAsync(ct))
                message.ScheduleRetention(purgeAfter);
            await db.SaveChangesAsync(ct);
            db.AuditEntries.Add(new AuditEntry(org.Id, leftAt, forced ? "exit.force_removed" : "exit.completed", AuditOutcome.Succeeded, null,
                membership.MemberId, "demo seed", "ExitRequest", request.Id.ToString(), Guid.NewGuid().ToString("N"), c.Id, membership.MemberId,
                isSecurityEvent: forced));
        }
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// A week of device sync history, so that the sync health page is alive at first start: 250 members had a membership change;
    /// their devices acknowledged it after delays typical of their network class, and about the guide's share never did.
    /// </summary>
    private async Task SeedSyncHistoryAsync(Organisation org, DateTimeOffset now, CancellationToken ct)
    {
        var members = await db.Members.Where(m => m.OrganisationId == org.Id && m.OrgRole == OrgRole.Member && m.MembershipVersion == 0)
            .OrderBy(m => m.Id).Skip(400).Take(250).ToListAsync(ct);
        var ids = members.Select(m => m.Id).ToList();
        var devices = await db.Devices.Where(d => ids.Contains(d.MemberId)).ToListAsync(ct);
        foreach (var member in members)
        {
            var changedAt = now.AddMinutes(-_random.Next(10, 7 * 24 * 60));
            var version = member.BumpMembershipVersion(changedAt);
            db.MembershipChanges.Add(new MembershipChange(org.Id, member.Id, version, null, "RoleChange", changedAt));
            foreach (var device in devices.Where(d => d.MemberId == member.Id))
            {
                var (fail, min, max, threshold) = device.NetworkClass switch
                {
                    NetworkClass.SameNetwork => (0.2, 3, 30, 30),
                    NetworkClass.CrossCarrier => (1.7, 45, 120, 120),
                    _ => (12.3, 170, 400, 180),
                };
                if (_random.NextDouble() * 100 < fail)
                {
                    device.MarkStale(version, changedAt.AddSeconds(threshold + 30));
                    continue;
                }
                var delay = min + _random.NextDouble() * (max - min);
                var ackAt = changedAt.AddSeconds(delay);
                db.DeviceSyncSamples.Add(new DeviceSyncSample(org.Id, device.Id, member.Id, device.NetworkClass, version, changedAt, ackAt, delay > threshold));
                device.Acknowledge(version, ackAt);
            }
        }
        await db.SaveChangesAsync(ct);
    }

    /// <summary>An owner who is resigning: the class shows in the "At risk" list.</summary>
    private async Task MarkOwnerResigningAsync(Organisation org, string className, CancellationToken ct)
    {
        var ownerId = await db.Classes.Where(c => c.OrganisationId == org.Id && c.Name == className).Select(c => c.OwnerMemberId).SingleAsync(ct);
        var owner = await db.Members.SingleAsync(m => m.Id == ownerId, ct);
        owner.SetResignation(ResignationState.InProgress);
        await db.SaveChangesAsync(ct);
    }

    private DateOnly NormalTermEnd(DateOnly today) => today.AddDays(45 + _random.Next(90));

    private void SeedReasonCodes(Organisation org, (string Code, string Label)[] codes)
    {
        foreach (var (code, label) in codes) db.ReasonCodes.Add(new ReasonCode(org.Id, code, label));
    }

    private sealed record People(List<Member> Staff, List<Member> Learners);

    private sealed record ClassSpec(string Name, DateOnly TermEndsOn, Classification Classification = Classification.Normal,
        bool ExitLocked = false, bool ResigningMember = false, string[]? Checklist = null, Member? Owner = null);

    private async Task<People> SeedPeopleAsync(Organisation org, string prefix, int staffCount, DateTimeOffset now, CancellationToken ct)
    {
        // Sign-in members are added separately; together they make MembersPerOrganisation.
        var total = MembersPerOrganisation - (prefix == "S" ? 5 : 2);
        string[] departments = org.Kind == OrganisationKind.Education
            ? ["高一年级组", "高二年级组", "高三年级组", "教务处", "学生处"]
            : ["零售银行部", "公司金融部", "风险管理部", "合规部", "运营中心", "信息科技部"];
        var staff = new List<Member>();
        var learners = new List<Member>();
        for (var i = 1; i <= total; i++)
        {
            var isStaff = i <= staffCount;
            var member = new Member(org.Id, DemoNames.Next(_random), $"{prefix}{i:D5}", isStaff ? OrgRole.Staff : OrgRole.Member,
                email: null, department: departments[_random.Next(departments.Length)]);
            (isStaff ? staff : learners).Add(member);
        }
        db.Members.AddRange(staff);
        db.Members.AddRange(learners);
        await db.SaveChangesAsync(ct);

        foreach (var member in staff.Concat(learners)) AddDevices(org, member);
        await db.SaveChangesAsync(ct);
        return new People(staff, learners);
    }

    private void AddDevices(Organisation org, Member member)
    {
        var mobile = _random.Next(2) == 0 ? Platform.Android : Platform.Ios;
        db.Devices.Add(NewDevice(org, member, mobile, 1));
        if (_random.Next(100) < 55)
            db.Devices.Add(NewDevice(org, member, _random.Next(5) == 0 ? Platform.Macos : Platform.Windows, 2));
    }

    private Device NewDevice(Organisation org, Member member, Platform platform, int n)
    {
        var roll = _random.Next(100);
        var network = roll < 60 ? NetworkClass.SameNetwork : roll < 90 ? NetworkClass.CrossCarrier : NetworkClass.International;
        var v = _random.Next(100);
        var version = v < 4 ? "3.1.9" : v < 7 ? "3.0.12" : v < 40 ? "3.1.10" : v < 75 ? "3.1.12" : "3.2.1";
        var mac = string.Join(":", Enumerable.Range(0, 6).Select(_ => _random.Next(256).ToString("X2")));
        var device = new Device($"{member.EmployeeNo}-D{n}", org.Id, member.Id, platform, network, version, mac, bound: _random.Next(100) < 85);
        return device;
    }

    private async Task<Member> AddSignInMemberAsync(Organisation org, string email, string name, OrgRole orgRole, string[] roles,
        CancellationToken ct, bool hrPermission = false)
    {
        // Employee numbers in the organisation's own series (S00001…, F00001…), sign-in accounts from 90001.
        var employeeNo = $"{(org.Kind == OrganisationKind.Education ? "S" : "F")}{90000 + ++_signIns}";
        var member = new Member(org.Id, name, employeeNo, orgRole, email);
        if (hrPermission) member.GrantHrPermission();
        db.Members.Add(member);
        await db.SaveChangesAsync(ct);
        AddDevices(org, member);

        await AddAccountAsync(email, name, org.Id, member.Id, roles, ct);
        return member;
    }

    /// <summary>
    /// A platform account: no organisation, no member, only the platform role. It decides quota increases across organisations and
    /// sees no organisation's classes, members or audit log.
    /// </summary>
    private Task AddPlatformOperatorAsync(string email, string name, CancellationToken ct) =>
        AddAccountAsync(email, name, organisationId: null, memberId: null, [PortalRoles.PlatformOperator], ct);

    /// <summary>A portal sign-in with the demo password and its roles (the roles exist before seeding).</summary>
    private async Task AddAccountAsync(string email, string name, long? organisationId, long? memberId, string[] roles, CancellationToken ct)
    {
        var user = new PortalUser
        {
            UserName = email,
            NormalizedUserName = normalizer.NormalizeName(email),
            Email = email,
            NormalizedEmail = normalizer.NormalizeEmail(email),
            EmailConfirmed = true,
            LockoutEnabled = true,
            SecurityStamp = Guid.NewGuid().ToString("N"),
            OrganisationId = organisationId,
            MemberId = memberId,
            DisplayName = name,
        };
        user.PasswordHash = hasher.HashPassword(user, Password);
        db.Users.Add(user);
        foreach (var role in roles)
        {
            var roleId = await db.Roles.Where(r => r.Name == role).Select(r => r.Id).SingleOrDefaultAsync(ct)
                ?? throw new InvalidOperationException($"Role {role} must exist before seeding.");
            db.UserRoles.Add(new IdentityUserRole<string> { UserId = user.Id, RoleId = roleId });
        }
        await db.SaveChangesAsync(ct);
    }

    private async Task SeedClassesAsync(Organisation org, List<ClassSpec> specs, People people, DateTimeOffset now,
        Member? teacherAccount, Member adminAccount, CancellationToken ct, Member? secondTeacher = null)
    {
        var classes = new List<(ClassGroup Class, ClassSpec Spec)>();
        for (var i = 0; i < specs.Count; i++)
        {
            var spec = specs[i];
            var owner = spec.Owner ?? people.Staff[i % people.Staff.Count];
            var c = new ClassGroup(org.Id, spec.Name, owner.Id, spec.TermEndsOn, now.AddDays(-200 - _random.Next(200)), spec.Classification, spec.ExitLocked);
            foreach (var item in spec.Checklist ?? []) c.AddChecklistItem(item);
            db.Classes.Add(c);
            classes.Add((c, spec));
        }
        await db.SaveChangesAsync(ct);

        var memberships = new List<Membership>();
        var classIndex = 0;
        foreach (var (c, spec) in classes)
        {
            var owner = people.Staff.Concat(teacherAccount is null ? [] : [teacherAccount]).First(m => m.Id == c.OwnerMemberId);
            var staffPool = people.Staff.Where(s => s.Id != owner.Id).OrderBy(_ => _random.Next()).ToList();
            var roster = new List<(Member Member, ClassRole Role)> { (owner, ClassRole.Owner), (staffPool[0], ClassRole.ClassAdmin), (staffPool[1], ClassRole.Teacher), (staffPool[2], ClassRole.Teacher) };
            if (teacherAccount is not null && owner.Id != teacherAccount.Id && classIndex is 2 or 3 or 5)
                roster.Add((teacherAccount, ClassRole.Teacher));
            if (classIndex == 4) roster.Add((adminAccount, ClassRole.Teacher));
            // The second demo teacher teaches in every class of the first one, so that a transfer can be proposed and accepted.
            if (secondTeacher is not null && teacherAccount is not null && owner.Id == teacherAccount.Id) roster.Add((secondTeacher, ClassRole.Teacher));
            var studentCount = 25 + _random.Next(21);
            // Learners cycle through classes so that almost everyone is in at least one.
            for (var s = 0; s < studentCount; s++)
                roster.Add((people.Learners[(classIndex * 23 + s) % people.Learners.Count], ClassRole.Student));
            roster = roster.DistinctBy(r => r.Member.Id).ToList();

            foreach (var (member, role) in roster)
                memberships.Add(new Membership(org.Id, c.Id, member.Id, role, c.CreatedAt.AddDays(_random.Next(30))));
            if (spec.ResigningMember)
                roster.First(r => r.Role == ClassRole.Student).Member.SetResignation(ResignationState.InProgress);

            SeedContent(org, c, roster, now);
            classIndex++;
        }
        db.Memberships.AddRange(memberships);
        await db.SaveChangesAsync(ct);
        foreach (var action in _afterSave) action();
        _afterSave.Clear();
        await db.SaveChangesAsync(ct);

        foreach (var learner in people.Learners.Take(300))
        {
            var sender = people.Staff[_random.Next(people.Staff.Count)];
            db.PrivateFileTransfers.Add(new PrivateFileTransfer(org.Id, learner.Id, sender.Id, $"资料-{_random.Next(1000, 9999)}.pdf",
                _random.Next(50_000, 20_000_000), now.AddDays(-_random.Next(60))));
        }
        await db.SaveChangesAsync(ct);
    }

    private void SeedContent(Organisation org, ClassGroup c, List<(Member Member, ClassRole Role)> roster, DateTimeOffset now)
    {
        var teachers = roster.Where(r => r.Role is ClassRole.Owner or ClassRole.Teacher or ClassRole.ClassAdmin).Select(r => r.Member).ToList();
        var students = roster.Where(r => r.Role == ClassRole.Student).Select(r => r.Member).ToList();

        // Assignments: one closed and graded, one open with grading in progress, one closed with grading still open.
        var t1 = teachers[1 % teachers.Count];
        var t2 = teachers[2 % teachers.Count];
        var done = new Assignment(org.Id, c.Id, teachers[0].Id, "第一单元练习", now.AddDays(-30), students.Count, students.Count);
        done.Close();
        var open = new Assignment(org.Id, c.Id, t1.Id, "期中复习作业", now.AddDays(5), students.Count / 2, students.Count / 4);
        var grading = new Assignment(org.Id, c.Id, t2.Id, "实验报告", now.AddDays(-3), students.Count, students.Count / 3);
        grading.Close();
        db.Assignments.AddRange(done, open, grading);

        var ended = new LiveStream(org.Id, c.Id, teachers[0].Id, "直播课：知识点串讲", now.AddDays(-10), LiveStreamStatus.Ended);
        var scheduled = new LiveStream(org.Id, c.Id, t2.Id, "直播答疑", now.AddDays(3 + _random.Next(10)));
        var meeting = new LiveStream(org.Id, c.Id, teachers[0].Id, "班会", now.AddDays(5 + _random.Next(20)));
        db.LiveStreams.AddRange(ended, scheduled, meeting);
        db.LiveReplays.Add(new LiveReplay(org.Id, c.Id, teachers[0].Id, "回放：知识点串讲"));

        db.Announcements.Add(new Announcement(org.Id, c.Id, teachers[0].Id, "本周安排", now.AddDays(-7)));
        db.Announcements.Add(new Announcement(org.Id, c.Id, t1.Id, "考试通知", now.AddDays(-2)));
        db.SharedDocuments.Add(new SharedDocument(org.Id, c.Id, t1.Id, "课程资料汇总"));
        db.SharedDocuments.Add(new SharedDocument(org.Id, c.Id, students[_random.Next(students.Count)].Id, "小组讨论记录"));
        db.Polls.Add(new Poll(org.Id, c.Id, students[_random.Next(students.Count)].Id, "周末活动投票", now.AddDays(4)));
        db.Polls.Add(new Poll(org.Id, c.Id, t2.Id, "答疑时间投票", now.AddDays(2)));

        string[] lines = ["收到，谢谢老师！", "今天的作业截止时间是几点？", "资料已上传到共享文档。", "明天的直播几点开始？", "请大家按时提交。",
            "好的", "谁能分享一下课件？", "第三题怎么做？", "已完成接龙。", "周五放学后集合。"];
        var speakers = teachers.Concat(students).ToList();
        for (var i = 0; i < 24; i++)
        {
            var sender = speakers[_random.Next(speakers.Count)];
            db.ChatMessages.Add(new ChatMessage(org.Id, c.Id, sender.Id, lines[_random.Next(lines.Length)], now.AddMinutes(-_random.Next(60 * 24 * 60))));
        }
        // Every student has said something in the class, so every leaver has chat to keep, purge or export.
        foreach (var s in students)
            db.ChatMessages.Add(new ChatMessage(org.Id, c.Id, s.Id, "收到", now.AddMinutes(-_random.Next(60 * 24 * 30))));
        for (var i = 0; i < 5; i++)
            db.SignUpEntries.Add(new SignUpEntry(org.Id, c.Id, students[_random.Next(students.Count)].Id, "春游报名接龙", now.AddDays(-_random.Next(20))));
        _afterSave.Add(() =>
        {
            // Ids exist now: homework submissions and read-but-unanswered receipts for a few students.
            foreach (var s in students.Take(8))
                db.HomeworkSubmissions.Add(new HomeworkSubmission(org.Id, c.Id, open.Id, s.Id, now.AddDays(-_random.Next(10))));
            var messages = db.ChatMessages.Local.Where(m => m.ClassId == c.Id).Take(3).ToList();
            foreach (var s in students.Take(4))
                foreach (var m in messages.Where(m => m.SenderMemberId != s.Id))
                    db.MessageReceipts.Add(new MessageReceipt(org.Id, m.Id, c.Id, s.Id, m.SentAt.AddMinutes(5)));
        });
    }

    private readonly List<Action> _afterSave = [];
}
