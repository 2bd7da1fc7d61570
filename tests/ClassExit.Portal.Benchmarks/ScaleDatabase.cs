using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Security.Claims;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.TestSupport;
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace ClassExit.Portal.Benchmarks;

/// <summary>How big the scale database is. <see cref="Full"/> is issue 16's figures; <see cref="Smoke"/> only keeps the code running.</summary>
internal sealed record ScaleSize(string Name, int ExtraOrganisations, int SchoolMembers, int FinanceMembers, int ExtraMembers, int SchoolClasses,
    int FinanceClasses, int ExtraClasses, int FinancePending, int SchoolPending, int ExtraPending, int DueMessages, int OtherMessages,
    int AuditEntries, int BulkClasses, int BulkMembers, int BulkGroups)
{
    public static readonly ScaleSize Full = new("full", ExtraOrganisations: 6, SchoolMembers: 150_000, FinanceMembers: 100_000, ExtraMembers: 25_000,
        SchoolClasses: 13_000, FinanceClasses: 8_000, ExtraClasses: 1_500, FinancePending: 16_000, SchoolPending: 3_000, ExtraPending: 300,
        DueMessages: 1_050_000, OtherMessages: 1_000_000, AuditEntries: 5_000_000, BulkClasses: 100, BulkMembers: 10, BulkGroups: 6);

    public static readonly ScaleSize Smoke = new("smoke", ExtraOrganisations: 2, SchoolMembers: 800, FinanceMembers: 400, ExtraMembers: 150,
        SchoolClasses: 60, FinanceClasses: 30, ExtraClasses: 8, FinancePending: 40, SchoolPending: 10, ExtraPending: 3,
        DueMessages: 3_000, OtherMessages: 2_000, AuditEntries: 6_000, BulkClasses: 10, BulkMembers: 3, BulkGroups: 4);
}

/// <summary>
/// Builds the scale database: the app's own migrations on an empty file (so the schema is whatever main has), the demo organisations
/// (their sign-ins are who the benchmark acts as), then grown by set-based SQL in one transaction with the tables' indexes dropped
/// and recreated from the schema afterwards. Audit entries are sealed through the domain's own function (<see cref="Seal"/>).
/// Cached under <c>~/.cache/classexit-bench/</c> by a stamp of the last migration id and <see cref="GeneratorVersion"/>.
/// </summary>
internal static class ScaleDatabase
{
    /// <summary>Bump when the generated data changes.</summary>
    public const int GeneratorVersion = 3;

    /// <summary>The benchmark's own audit key (never a real one): the generator seals with it and every service provider verifies with it.</summary>
    public static readonly AuditKey BenchKey = new("bench1", System.Text.Encoding.UTF8.GetBytes("classexit-benchmark-audit-key-32-bytes!"));

    public static IDictionary<string, string?> AuditSettings => new Dictionary<string, string?>
    {
        ["Audit:CurrentKeyId"] = BenchKey.Id,
        ["Audit:Keys:0:Id"] = BenchKey.Id,
        ["Audit:Keys:0:Key"] = Convert.ToBase64String(BenchKey.Secret),
    };

    private const string DetailJson = "{\"field\":\"Department\",\"before\":\"一部\",\"after\":\"二部\"}";

    private static readonly string[] BulkTables = ["Members", "Classes", "Memberships", "ExitRequests", "ChatMessages", "MessageReceipts", "AuditEntries"];

    /// <summary>The pristine file for this size and schema, built when missing. Returns its path and whether it was built now.</summary>
    public static async Task<(string Path, bool Built, TimeSpan BuildTime, TimeSpan SealTime)> EnsureAsync(ScaleSize size, string cacheDir)
    {
        Directory.CreateDirectory(cacheDir);
        var stamp = $"{LastMigrationId()}-g{GeneratorVersion}";
        var path = System.IO.Path.Combine(cacheDir, $"scale-{size.Name}-{stamp}.db");
        if (File.Exists(path)) return (path, false, TimeSpan.Zero, TimeSpan.Zero);
        foreach (var old in Directory.GetFiles(cacheDir, $"scale-{size.Name}-*.db").Where(f => f != path)) File.Delete(old);
        // Per process: two runs at once (e.g. two tests/run.sh) each build their own and the first to finish is kept.
        var building = $"{path}.{Environment.ProcessId}.building";
        foreach (var f in new[] { building, building + "-wal", building + "-shm" }) File.Delete(f);
        var sw = Stopwatch.StartNew();
        var now = DateTimeOffset.UtcNow;
        Console.WriteLine($"Building the {size.Name} scale database ({stamp}) …");
        await MigrateAndSeedDemoAsync(building, TimeProvider.System);
        Console.WriteLine($"  migrated and seeded the demo in {sw.Elapsed.TotalSeconds:0.0} s");
        TimeSpan sealTime;
        await using (var c = new SqliteConnection($"Data Source={building};Pooling=False"))
        {
            await c.OpenAsync();
            sealTime = await GrowAsync(c, size, now);
        }
        try
        {
            File.Move(building, path);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(building);
        }
        sw.Stop();
        Console.WriteLine($"  built in {sw.Elapsed.TotalSeconds:0.0} s (sealing {sealTime.TotalSeconds:0.0} s): {path}");
        return (path, true, sw.Elapsed, sealTime);
    }

    public static string LastMigrationId()
    {
        var options = new DbContextOptionsBuilder<PortalDbContext>().UsePortalProvider(DatabaseProvider.Sqlite, "Data Source=:memory:").Options;
        using var db = new PortalDbContext(options);
        return db.Database.GetMigrations().Last();
    }

    /// <summary>The app's migrations on <paramref name="path"/>, through the portal's own registrations.</summary>
    public static async Task MigrateAsync(string path)
    {
        await using var services = ServicesOnDatabase.Create(path, ServicesOnDatabase.From(new ClaimsPrincipal()), TimeProvider.System, AuditSettings);
        await using var db = (await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForSystem();
        await db.Database.MigrateAsync();
    }

    public static async Task MigrateAndSeedDemoAsync(string path, TimeProvider clock)
    {
        await using var services = ServicesOnDatabase.Create(path, ServicesOnDatabase.From(new ClaimsPrincipal()), clock, AuditSettings);
        var factory = services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using (var db = (await factory.CreateDbContextAsync()).ForSystem())
            await db.Database.MigrateAsync();
        await using var scope = services.CreateAsyncScope();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in PortalRoles.All)
            if (!await roles.RoleExistsAsync(role))
                await roles.CreateAsync(new IdentityRole(role));
        await using (var db = await factory.CreateDbContextAsync())
        {
            var seeder = new DemoSeeder(db, scope.ServiceProvider.GetRequiredService<IPasswordHasher<PortalUser>>(),
                scope.ServiceProvider.GetRequiredService<ILookupNormalizer>(), clock);
            await seeder.SeedAsync();
        }
    }

    private static async Task<TimeSpan> GrowAsync(SqliteConnection c, ScaleSize size, DateTimeOffset now)
    {
        await ExecAsync(c, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-1500000; PRAGMA temp_store=MEMORY; PRAGMA locking_mode=EXCLUSIVE;");
        var step = Stopwatch.StartNew();
        void Done(string what) { Console.WriteLine($"  {what}: {step.Elapsed.TotalSeconds:0.0} s"); step.Restart(); }

        await using (var tx = c.BeginTransaction())
        {
            // Indexes of the bulk-loaded tables, as the migrations made them: dropped for the load, recreated after it.
            var indexes = new List<string>();
            await using (var cmd = c.CreateCommand())
            {
                cmd.CommandText = $"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({string.Join(",", BulkTables.Select(t => $"'{t}'"))})";
                await using var r = await cmd.ExecuteReaderAsync();
                while (await r.ReadAsync()) indexes.Add(r.GetString(1));
            }
            foreach (var name in await ListAsync(c, $"SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({string.Join(",", BulkTables.Select(t => $"'{t}'"))})"))
                await ExecAsync(c, $"DROP INDEX \"{name}\"");
            // Triggers too (Classes.MemberCount is kept by triggers on Memberships): recreated after the load, the counts set once.
            var triggerFilter = $"type = 'trigger' AND tbl_name IN ({string.Join(",", BulkTables.Select(t => $"'{t}'"))})";
            var triggers = await ListAsync(c, $"SELECT sql FROM sqlite_master WHERE {triggerFilter}");
            foreach (var name in await ListAsync(c, $"SELECT name FROM sqlite_master WHERE {triggerFilter}"))
                await ExecAsync(c, $"DROP TRIGGER \"{name}\"");

            var maxN = new[] { size.SchoolMembers, size.AuditEntries, size.DueMessages, size.OtherMessages, 100_000 }.Max();
            await ExecAsync(c, $"""
                CREATE TEMP TABLE bench_n (i INTEGER PRIMARY KEY);
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {maxN}) INSERT INTO bench_n SELECT i FROM n;
                """);

            // Organisations: the two demo ones grow, a few more enterprises share the tables (tenant filters must cut them out).
            var school = await ScalarAsync(c, "SELECT Id FROM Organisations WHERE Name = 'Demo School'");
            var finance = await ScalarAsync(c, "SELECT Id FROM Organisations WHERE Name = 'Demo Finance'");
            for (var e = 1; e <= size.ExtraOrganisations; e++)
                await ExecAsync(c, $"""
                    INSERT INTO Organisations (Name, TimeZoneId, Kind, Policy_AdminRetentionDays, Policy_AllowedClockSkewSeconds, Policy_ApprovalSlaHours,
                        Policy_ClassifiedRetentionDays, Policy_DailyBatchQuota, Policy_DeviceBindingRequired, Policy_ExitRequiresApproval, Policy_FreezeWindowDays,
                        Policy_MinimumClientVersion, Policy_StudentRetentionDays, Policy_TeacherRetentionDays, TwoFactorRequiredFor)
                    SELECT 'Bench Enterprise {e}', TimeZoneId, 0, Policy_AdminRetentionDays, Policy_AllowedClockSkewSeconds, Policy_ApprovalSlaHours,
                        Policy_ClassifiedRetentionDays, Policy_DailyBatchQuota, Policy_DeviceBindingRequired, {e % 2}, Policy_FreezeWindowDays,
                        Policy_MinimumClientVersion, Policy_StudentRetentionDays, Policy_TeacherRetentionDays, TwoFactorRequiredFor
                    FROM Organisations WHERE Id = {finance};
                    """);
            // The benchmark runs many real batches in one day.
            await ExecAsync(c, $"UPDATE Organisations SET Policy_DailyBatchQuota = 100000 WHERE Id = {school}");

            await ExecAsync(c, "CREATE TEMP TABLE bench_org (org INTEGER PRIMARY KEY, members INTEGER, classes INTEGER, pending INTEGER, slot INTEGER)");
            await ExecAsync(c, $"INSERT INTO bench_org VALUES ({school}, {size.SchoolMembers}, {size.SchoolClasses}, {size.SchoolPending}, 0), ({finance}, {size.FinanceMembers}, {size.FinanceClasses}, {size.FinancePending}, 1)");
            await ExecAsync(c, $"INSERT INTO bench_org SELECT Id, {size.ExtraMembers}, {size.ExtraClasses}, {size.ExtraPending}, 1 + row_number() OVER (ORDER BY Id) FROM Organisations WHERE Name LIKE 'Bench Enterprise %'");

            // Members: one in twenty is staff; Chinese names from common surnames and given-name characters.
            const string surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹";
            const string given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志宏海波宁晨雪琳";
            await ExecAsync(c, $"""
                INSERT INTO Members (OrganisationId, DisplayName, EmployeeNo, Email, Department, OrgRole, HasHrPermission, Resignation, MembershipVersion, MembershipChangedAt)
                SELECT o.org,
                       substr('{surnames}', 1 + (n.i * 7 + o.org) % {surnames.Length}, 1) || substr('{given}', 1 + (n.i * 13) % {given.Length}, 1)
                           || CASE WHEN n.i % 3 = 0 THEN '' ELSE substr('{given}', 1 + (n.i / {given.Length} * 17) % {given.Length}, 1) END,
                       'B' || o.org || '-' || printf('%07d', n.i), NULL,
                       CASE n.i % 6 WHEN 0 THEN '一部' WHEN 1 THEN '二部' WHEN 2 THEN '三部' WHEN 3 THEN '教务处' WHEN 4 THEN '运营中心' ELSE '信息科技部' END,
                       CASE WHEN n.i % 20 = 0 THEN 1 ELSE 0 END, 0, CASE WHEN n.i % 500 = 7 THEN 1 ELSE 0 END, 0, NULL
                FROM bench_org o CROSS JOIN bench_n n ON n.i < o.members;
                """);
            await ExecAsync(c, """
                CREATE TEMP TABLE bench_staff (org INTEGER, idx INTEGER, id INTEGER, name TEXT, PRIMARY KEY (org, idx));
                INSERT INTO bench_staff SELECT OrganisationId, row_number() OVER (PARTITION BY OrganisationId ORDER BY Id) - 1, Id, DisplayName
                    FROM Members WHERE EmployeeNo LIKE 'B%' AND OrgRole = 1;
                CREATE TEMP TABLE bench_learner (org INTEGER, idx INTEGER, id INTEGER, PRIMARY KEY (org, idx));
                INSERT INTO bench_learner SELECT OrganisationId, row_number() OVER (PARTITION BY OrganisationId ORDER BY Id) - 1, Id
                    FROM Members WHERE EmployeeNo LIKE 'B%' AND OrgRole = 0;
                CREATE TEMP TABLE bench_count (org INTEGER PRIMARY KEY, staff INTEGER, learners INTEGER);
                INSERT INTO bench_count SELECT o.org, (SELECT count(*) FROM bench_staff s WHERE s.org = o.org),
                    (SELECT count(*) FROM bench_learner l WHERE l.org = o.org) FROM bench_org o;
                """);
            Done("members");

            // Classes: a few key, classified, exit-locked or dissolved ones; owners from the staff. The first BulkClasses of the school are
            // plain (normal, far from term end) for the bulk exits.
            await ExecAsync(c, $"""
                INSERT INTO Classes (OrganisationId, Name, Status, Classification, TermEndsOn, ExitLocked, OwnerMemberId, CreatedAt, DissolvedAt, Version)
                SELECT o.org,
                       CASE n.i % 8 WHEN 0 THEN '数学' WHEN 1 THEN '语文' WHEN 2 THEN '英语' WHEN 3 THEN '物理' WHEN 4 THEN '合规培训' WHEN 5 THEN '新员工入职'
                           WHEN 6 THEN '领导力发展' ELSE '信贷风险管理' END || ' ' || (n.i / 8 + 1) || '班',
                       CASE WHEN n.i >= {size.BulkClasses} AND n.i % 33 = 5 THEN 1 ELSE 0 END,
                       CASE WHEN n.i < {size.BulkClasses} THEN 0 WHEN n.i % 97 = 3 THEN 1 WHEN n.i % 211 = 4 THEN 2 ELSE 0 END,
                       date('{now.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}', '+' || CASE WHEN n.i < {size.BulkClasses} THEN 150 ELSE 5 + (n.i * 37) % 200 END || ' days'),
                       CASE WHEN n.i >= {size.BulkClasses} AND n.i % 149 = 6 THEN 1 ELSE 0 END,
                       s.id, {now.UtcTicks} - (200 + n.i % 400) * {TimeSpan.TicksPerDay},
                       CASE WHEN n.i >= {size.BulkClasses} AND n.i % 33 = 5 THEN {now.UtcTicks} - (n.i % 30) * {TimeSpan.TicksPerDay} END, 0
                FROM bench_org o CROSS JOIN bench_count k ON k.org = o.org CROSS JOIN bench_n n ON n.i < o.classes
                CROSS JOIN bench_staff s ON s.org = o.org AND s.idx = n.i % k.staff;
                CREATE TEMP TABLE bench_class (org INTEGER, idx INTEGER, id INTEGER, status INTEGER, created INTEGER, PRIMARY KEY (org, idx));
                INSERT INTO bench_class SELECT OrganisationId, row_number() OVER (PARTITION BY OrganisationId ORDER BY Id) - 1, Id, Status, CreatedAt
                    FROM Classes WHERE OwnerMemberId IN (SELECT id FROM bench_staff);
                CREATE UNIQUE INDEX bench_class_id ON bench_class (id);
                """);
            Done("classes");

            // Memberships: owner, class admin, two teachers (staff), 18–48 students; a dissolved class's memberships ended with it.
            await ExecAsync(c, $"""
                INSERT INTO Memberships (OrganisationId, ClassId, MemberId, Role, State, JoinedAt, LeftAt, Version)
                SELECT bc.org, bc.id, s.id, r.role, CASE WHEN bc.status = 1 THEN 3 ELSE 0 END, bc.created + r.role * {TimeSpan.TicksPerHour},
                       CASE WHEN bc.status = 1 THEN {now.UtcTicks} - {TimeSpan.TicksPerDay} END, 0
                FROM bench_class bc CROSS JOIN bench_count k ON k.org = bc.org
                CROSS JOIN (SELECT 3 AS role, 0 AS off UNION ALL SELECT 2, 1 UNION ALL SELECT 1, 2 UNION ALL SELECT 1, 3) r
                JOIN bench_staff s ON s.org = bc.org AND s.idx = (bc.idx + r.off) % k.staff;
                INSERT INTO Memberships (OrganisationId, ClassId, MemberId, Role, State, JoinedAt, LeftAt, Version)
                SELECT bc.org, bc.id, l.id, 0,
                       CASE WHEN bc.status = 1 THEN 3 WHEN n.i % 29 = 11 THEN 2 ELSE 0 END,
                       bc.created + (1 + n.i % 20) * {TimeSpan.TicksPerDay},
                       CASE WHEN bc.status = 1 THEN {now.UtcTicks} - {TimeSpan.TicksPerDay} WHEN n.i % 29 = 11 THEN {now.UtcTicks} - (n.i % 90) * {TimeSpan.TicksPerDay} END, 0
                FROM bench_class bc CROSS JOIN bench_count k ON k.org = bc.org
                CROSS JOIN bench_n n ON n.i < 18 + bc.idx % 31
                CROSS JOIN bench_learner l ON l.org = bc.org AND l.idx = (bc.idx * 211 + n.i) % (k.learners - {size.BulkGroups * size.BulkMembers});
                """);
            // Bulk-exit cohorts: group g's members are students of every bulk class of the school (the last learners, in no other class).
            await ExecAsync(c, $"""
                INSERT INTO Memberships (OrganisationId, ClassId, MemberId, Role, State, JoinedAt, LeftAt, Version)
                SELECT bc.org, bc.id, l.id, 0, 0, bc.created + {TimeSpan.TicksPerDay}, NULL, 0
                FROM bench_class bc JOIN bench_count k ON k.org = bc.org
                JOIN bench_learner l ON l.org = bc.org AND l.idx >= k.learners - {size.BulkGroups * size.BulkMembers}
                WHERE bc.org = {school} AND bc.idx < {size.BulkClasses};
                UPDATE Members SET DisplayName = '批量 ' || DisplayName
                WHERE Id IN (SELECT l.id FROM bench_learner l JOIN bench_count k ON k.org = l.org WHERE l.org = {school} AND l.idx >= k.learners - {size.BulkGroups * size.BulkMembers});
                """);
            Done("memberships");

            // Pending exit requests: students of non-bulk classes, spread over the last five days (older than the SLA are overdue).
            var lastDemoRequest = await ScalarAsync(c, "SELECT coalesce(max(Id), 0) FROM ExitRequests");
            var pendingStep = await ScalarAsync(c, $"SELECT max(1, (SELECT count(*) FROM Memberships WHERE OrganisationId = {finance} AND Role = 0 AND State = 0) / {Math.Max(1, size.FinancePending)} - 1)");
            await ExecAsync(c, $"""
                CREATE TEMP TABLE bench_pending AS
                SELECT m.Id AS mid, m.OrganisationId AS org, m.ClassId AS cls, m.MemberId AS mem, row_number() OVER (PARTITION BY m.OrganisationId ORDER BY m.Id) AS rn
                FROM Memberships m JOIN bench_class bc ON bc.id = m.ClassId
                WHERE m.Role = 0 AND m.State = 0 AND bc.status = 0 AND NOT (bc.org = {school} AND bc.idx < {size.BulkClasses}) AND m.Id % {pendingStep} = 0;
                DELETE FROM bench_pending WHERE rn > (SELECT pending FROM bench_org WHERE org = bench_pending.org);
                INSERT INTO ExitRequests (OrganisationId, ClassId, MemberId, RoleAtRequest, Kind, Channel, Verification, DeviceId, RequestedByMemberId, Reason,
                    ReasonCode, Silent, Status, Code, CreatedAt, DecidedAt, DecidedByMemberId, DecisionNote, CompletedAt, Overdue, EscalatedAt, Version)
                SELECT org, cls, mem, 0, 0, rn % 2, 1 + rn % 2, NULL, mem, NULL, NULL, 0, 0, NULL,
                       {now.UtcTicks} - (rn * 7919 % 7200) * {TimeSpan.TicksPerMinute}, NULL, NULL, NULL, NULL,
                       CASE WHEN rn * 7919 % 7200 > 48 * 60 THEN 1 ELSE 0 END, NULL, 0
                FROM bench_pending;
                UPDATE Memberships SET State = 1 WHERE Id IN (SELECT mid FROM bench_pending);
                """);
            Done("exit requests");

            // Chat: DueMessages of the school are due for purge (their senders left), OtherMessages across every organisation are not.
            await ExecAsync(c, $"""
                INSERT INTO ChatMessages (OrganisationId, ClassId, SenderMemberId, Body, SentAt, PurgeAfter, RetainedPermanently)
                SELECT bc.org, bc.id, l.id,
                       CASE n.i % 6 WHEN 0 THEN '收到，谢谢老师！' WHEN 1 THEN '今天的作业截止时间是几点？' WHEN 2 THEN '资料已上传到共享文档。'
                           WHEN 3 THEN '明天的直播几点开始？' WHEN 4 THEN '好的' ELSE '第三题怎么做？' END,
                       {now.UtcTicks} - (40 + n.i % 50) * {TimeSpan.TicksPerDay} - (n.i % 1440) * {TimeSpan.TicksPerMinute},
                       {now.UtcTicks} - (1 + n.i % 20) * {TimeSpan.TicksPerDay} - (n.i % 86400) * {TimeSpan.TicksPerSecond}, 0
                FROM bench_n n CROSS JOIN bench_org o ON o.org = {school} CROSS JOIN bench_count k ON k.org = o.org
                CROSS JOIN bench_class bc ON bc.org = o.org AND bc.idx = {size.BulkClasses} + n.i % (o.classes - {size.BulkClasses})
                CROSS JOIN bench_learner l ON l.org = o.org AND l.idx = (bc.idx * 211 + n.i % 18) % (k.learners - {size.BulkGroups * size.BulkMembers})
                WHERE n.i < {size.DueMessages};
                INSERT INTO ChatMessages (OrganisationId, ClassId, SenderMemberId, Body, SentAt, PurgeAfter, RetainedPermanently)
                SELECT bc.org, bc.id, l.id, CASE n.i % 4 WHEN 0 THEN '请大家按时提交。' WHEN 1 THEN '谁能分享一下课件？' WHEN 2 THEN '已完成接龙。' ELSE '周五放学后集合。' END,
                       {now.UtcTicks} - (n.i % 60) * {TimeSpan.TicksPerDay} - (n.i % 1440) * {TimeSpan.TicksPerMinute},
                       CASE WHEN n.i % 10 = 3 THEN {now.UtcTicks} + (10 + n.i % 300) * {TimeSpan.TicksPerDay} END, CASE WHEN n.i % 97 = 1 THEN 1 ELSE 0 END
                FROM bench_n n CROSS JOIN bench_class bc ON bc.rowid = 1 + n.i % {size.SchoolClasses + size.FinanceClasses + size.ExtraOrganisations * size.ExtraClasses}
                CROSS JOIN bench_count k ON k.org = bc.org
                CROSS JOIN bench_learner l ON l.org = bc.org AND l.idx = (bc.idx * 211 + n.i % 18) % (k.learners - {size.BulkGroups * size.BulkMembers})
                WHERE n.i < {size.OtherMessages};
                INSERT INTO MessageReceipts (OrganisationId, MessageId, ClassId, MemberId, ReadAt, RepliedAt)
                SELECT m.OrganisationId, m.Id, m.ClassId, s.OwnerMemberId, m.SentAt + {TimeSpan.TicksPerMinute * 5}, NULL
                FROM ChatMessages m JOIN Classes s ON s.Id = m.ClassId
                WHERE m.OrganisationId = {school} AND m.PurgeAfter IS NOT NULL AND m.Id % 10 = 0;
                """);
            Done("chat messages");

            // Audit: a year of entries, newest last, interleaved over the organisations (about half the school's).
            await ExecAsync(c, $"""
                CREATE TEMP TABLE bench_slot (slot INTEGER PRIMARY KEY, org INTEGER);
                INSERT INTO bench_slot SELECT slot, org FROM bench_org;
                INSERT INTO AuditEntries (OrganisationId, OccurredAt, Action, Outcome, Code, ActorUserId, ActorMemberId, ActorName, TargetType, TargetId,
                    ClassId, MemberId, CorrelationId, IsSecurityEvent, Details, Sequence, PreviousHash, Hash)
                SELECT o.org, {now.UtcTicks} - ({size.AuditEntries} - n.i) * ({TimeSpan.TicksPerDay * 365 / size.AuditEntries}),
                       CASE n.i % 10 WHEN 0 THEN 'exit.requested' WHEN 1 THEN 'exit.completed' WHEN 2 THEN 'member.updated' WHEN 3 THEN 'class.member_added'
                           WHEN 4 THEN 'exit.approved' WHEN 5 THEN 'policy.viewed' WHEN 6 THEN 'exit.force_removed' WHEN 7 THEN 'class.updated'
                           WHEN 8 THEN 'exit.refused' ELSE 'member.devices_unbound' END,
                       CASE WHEN n.i % 10 = 8 THEN 1 ELSE 0 END, CASE WHEN n.i % 10 = 8 THEN 40301 END, NULL, s.id, s.name,
                       'Membership', CAST(n.i AS TEXT), bc.id, l.id,
                       printf('%016x%016x', n.i, (n.i * 2654435761) % 4294967291), CASE WHEN n.i % 10 = 6 THEN 1 ELSE 0 END,
                       CASE WHEN n.i % 10 IN (2, 7) THEN '{DetailJson}' END, NULL, NULL, NULL
                FROM bench_n n
                CROSS JOIN bench_slot o ON o.slot = CASE WHEN n.i % 50 < 26 THEN 0 WHEN n.i % 50 < 41 THEN 1 ELSE 2 + (n.i / 50) % {size.ExtraOrganisations} END
                CROSS JOIN bench_org bo ON bo.org = o.org CROSS JOIN bench_count k ON k.org = o.org
                CROSS JOIN bench_staff s ON s.org = o.org AND s.idx = (n.i * 31) % k.staff
                CROSS JOIN bench_class bc ON bc.org = o.org AND bc.idx = (n.i * 7) % bo.classes
                CROSS JOIN bench_learner l ON l.org = o.org AND l.idx = (n.i * 13) % k.learners
                WHERE n.i < {size.AuditEntries};
                INSERT INTO AuditEntries (OrganisationId, OccurredAt, Action, Outcome, Code, ActorUserId, ActorMemberId, ActorName, TargetType, TargetId,
                    ClassId, MemberId, CorrelationId, IsSecurityEvent, Details, Sequence, PreviousHash, Hash)
                SELECT e.OrganisationId, e.CreatedAt, 'exit.requested', 0, NULL, NULL, e.MemberId, m.DisplayName, 'ExitRequest', CAST(e.Id AS TEXT),
                       e.ClassId, e.MemberId, printf('%032x', e.Id), 0, NULL, NULL, NULL, NULL
                FROM ExitRequests e JOIN Members m ON m.Id = e.MemberId WHERE e.Id > {lastDemoRequest} ORDER BY e.CreatedAt;
                """);
            // A rare actor: the demo auditor, in 25 of the school's entries across the year.
            await ExecAsync(c, $"""
                UPDATE AuditEntries SET ActorMemberId = (SELECT Id FROM Members WHERE Email = 'auditor@school.demo'), ActorName = '审计 陈洁'
                WHERE Id IN (SELECT Id FROM AuditEntries WHERE OrganisationId = {school} AND TargetType = 'Membership'
                             AND CAST(TargetId AS INTEGER) % {Math.Max(50, size.AuditEntries / 25)} = 17 LIMIT 25);
                """);
            Done("audit entries");

            var sealTime = Stopwatch.StartNew();
            var sealedRows = await SealAllAsync(c, now);
            sealTime.Stop();
            Console.WriteLine($"  sealed {sealedRows:N0} audit entries in {sealTime.Elapsed.TotalSeconds:0.0} s ({sealedRows / Math.Max(0.001, sealTime.Elapsed.TotalSeconds):N0}/s)");
            step.Restart();

            foreach (var sql in indexes) await ExecAsync(c, sql);
            Done($"{indexes.Count} indexes recreated");
            await ExecAsync(c, "UPDATE Classes SET MemberCount = (SELECT COUNT(*) FROM Memberships m WHERE m.ClassId = Classes.Id AND m.State IN (0, 1))");
            foreach (var sql in triggers) await ExecAsync(c, sql);
            Done($"member counts, {triggers.Count} triggers recreated");
            await ExecAsync(c, "DROP TABLE bench_n; DROP TABLE bench_org; DROP TABLE bench_staff; DROP TABLE bench_learner; DROP TABLE bench_count; DROP TABLE bench_class; DROP TABLE bench_pending; DROP TABLE bench_slot;");
            await tx.CommitAsync();
            await ExecAsync(c, "PRAGMA locking_mode=NORMAL;");
            await ExecAsync(c, "PRAGMA journal_mode=WAL;");
            return sealTime.Elapsed;
        }
    }

    /// <summary>The MAC of one entry, exactly as the portal seals it: the one domain function this generator calls.</summary>
    private static string Seal(AuditEntry entry, long sequence, string? previousHash) => AuditMac.Compute(BenchKey, entry, sequence, previousHash);

    /// <summary>The planner's statistics, as the portal refreshes them at start (<see cref="SqliteStatistics"/>).</summary>
    public static async Task RefreshStatisticsAsync(string path)
    {
        await using var services = ServicesOnDatabase.Create(path, ServicesOnDatabase.From(new ClaimsPrincipal()), TimeProvider.System, AuditSettings);
        await using var db = (await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForSystem();
        await SqliteStatistics.RefreshAsync(db);
    }

    private static readonly PropertyInfo IdProperty = typeof(AuditEntry).GetProperty(nameof(AuditEntry.Id))!;

    /// <summary>Chains every unsealed entry in id order per organisation (organisation 0: none), as the sealer would, and writes the heads.</summary>
    private static async Task<long> SealAllAsync(SqliteConnection c, DateTimeOffset now)
    {
        var heads = new Dictionary<long, (long Sequence, long EntryId, string? Hash)>();
        await using (var h = c.CreateCommand())
        {
            h.CommandText = "SELECT OrganisationId, LastSequence, LastEntryId, LastHash FROM AuditChainHeads";
            await using var r = await h.ExecuteReaderAsync();
            while (await r.ReadAsync()) heads[r.GetInt64(0)] = (r.GetInt64(1), r.GetInt64(2), r.IsDBNull(3) ? null : r.GetString(3));
        }
        await using var update = c.CreateCommand();
        update.CommandText = $"UPDATE AuditEntries SET Sequence = $s, PreviousHash = $p, Hash = $h, KeyId = '{BenchKey.Id}' WHERE Id = $id";
        var ps = update.Parameters.Add("$s", SqliteType.Integer);
        var pp = update.Parameters.Add("$p", SqliteType.Text);
        var ph = update.Parameters.Add("$h", SqliteType.Text);
        var pid = update.Parameters.Add("$id", SqliteType.Integer);
        update.Prepare();
        long last = 0, count = 0;
        var chunk = new List<AuditEntry>(100_000);
        while (true)
        {
            chunk.Clear();
            await using (var read = c.CreateCommand())
            {
                read.CommandText = """
                    SELECT Id, OrganisationId, OccurredAt, Action, Outcome, Code, ActorUserId, ActorMemberId, ActorName, TargetType, TargetId, ClassId, MemberId,
                           CorrelationId, IsSecurityEvent, Details
                    FROM AuditEntries WHERE Id > $last AND Hash IS NULL ORDER BY Id LIMIT 100000
                    """;
                read.Parameters.AddWithValue("$last", last);
                await using var r = await read.ExecuteReaderAsync();
                while (await r.ReadAsync())
                {
                    long? L(int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
                    string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
                    var e = new AuditEntry(L(1), new DateTimeOffset(r.GetInt64(2), TimeSpan.Zero), r.GetString(3), (AuditOutcome)r.GetInt32(4), S(6), L(7), S(8), S(9),
                        S(10), r.GetString(13), L(11), L(12), r.IsDBNull(5) ? null : r.GetInt32(5), r.GetInt64(14) != 0, S(15));
                    IdProperty.SetValue(e, r.GetInt64(0));
                    chunk.Add(e);
                }
            }
            if (chunk.Count == 0) break;
            foreach (var e in chunk)
            {
                var org = e.OrganisationId ?? 0;
                var head = heads.TryGetValue(org, out var hd) ? hd : (0, 0, null);
                var sequence = head.Sequence + 1;
                var hash = Seal(e, sequence, head.Hash);
                ps.Value = sequence;
                pp.Value = (object?)head.Hash ?? DBNull.Value;
                ph.Value = hash;
                pid.Value = e.Id;
                await update.ExecuteNonQueryAsync();
                heads[org] = (sequence, e.Id, hash);
            }
            last = chunk[^1].Id;
            count += chunk.Count;
        }
        await ExecAsync(c, "DELETE FROM AuditChainHeads");
        await using var insert = c.CreateCommand();
        insert.CommandText = "INSERT INTO AuditChainHeads (OrganisationId, LastSequence, LastEntryId, LastHash, SealedAt) VALUES ($o, $s, $e, $h, $t)";
        foreach (var (org, head) in heads)
        {
            insert.Parameters.Clear();
            insert.Parameters.AddWithValue("$o", org);
            insert.Parameters.AddWithValue("$s", head.Sequence);
            insert.Parameters.AddWithValue("$e", head.EntryId);
            insert.Parameters.AddWithValue("$h", (object?)head.Hash ?? DBNull.Value);
            insert.Parameters.AddWithValue("$t", now.UtcTicks);
            await insert.ExecuteNonQueryAsync();
        }
        return count;
    }

    public static async Task ExecAsync(SqliteConnection c, string sql)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.CommandTimeout = 0;
        await cmd.ExecuteNonQueryAsync();
    }

    public static async Task<long> ScalarAsync(SqliteConnection c, string sql)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public static async Task<List<string>> ListAsync(SqliteConnection c, string sql)
    {
        var list = new List<string>();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) list.Add(r.GetString(0));
        return list;
    }
}
