using System.Data.Common;
using System.Net;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Domain.Retention;
using ClassExit.Portal.Features.Retention;
using ClassExit.Portal.Tests.Features.ExitRequests;
using ClassExit.Portal.Tests.Infrastructure;
using ICSharpCode.SharpZipLib.Zip;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ClassExit.Portal.Tests.Features.Retention;

[Collection(PortalCollection.Name)]
public class RetentionTests(PortalFactory factory)
{
    private readonly FakeTimeProvider _clock = factory.NewClock();

    private RetentionPurgeJob Job(DateTimeOffset at, int batchSize = 4000, IDbContextFactory<PortalDbContext>? dbFactory = null) =>
        new(dbFactory ?? factory.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>(), new FakeTimeProvider(at),
            Options.Create(new RetentionOptions { BatchSize = batchSize }), NullLogger<RetentionPurgeJob>.Instance,
            factory.Services.GetRequiredService<ClassExit.Portal.Features.Notifications.PortalEvents>());

    /// <summary>A fresh organisation (isolated from the demo) with a class, a student and a teacher who left <paramref name="leftDaysAgo"/> days ago.</summary>
    private async Task<(long Org, long ClassId, long Student, long Teacher)> OrganisationWithLeaversAsync(string name, int messagesEach, DateTimeOffset now)
    {
        await using var db = factory.SystemDb();
        var org = new Organisation(name, "Asia/Shanghai", OrganisationKind.Education);
        db.Organisations.Add(org);
        await db.SaveChangesAsync();
        var owner = new Member(org.Id, "班主任", $"{name}-O");
        var student = new Member(org.Id, "学生", $"{name}-S");
        var teacher = new Member(org.Id, "老师", $"{name}-T");
        db.Members.AddRange(owner, student, teacher);
        await db.SaveChangesAsync();
        var c = new ClassGroup(org.Id, $"{name} 班", owner.Id, DateOnly.FromDateTime(now.UtcDateTime).AddDays(90), now.AddDays(-100));
        db.Classes.Add(c);
        await db.SaveChangesAsync();
        var leftAt = now.AddDays(-31);
        foreach (var (m, role) in new[] { (student, ClassRole.Student), (teacher, ClassRole.Teacher) })
        {
            var ms = new Membership(org.Id, c.Id, m.Id, role, now.AddDays(-90));
            ms.Leave(leftAt, forced: false);
            db.Memberships.Add(ms);
            var days = role == ClassRole.Student ? 30 : 90;
            for (var i = 0; i < messagesEach; i++)
            {
                var msg = new ChatMessage(org.Id, c.Id, m.Id, $"消息 {i}", leftAt.AddDays(-5));
                msg.ScheduleRetention(leftAt.AddDays(days));
                db.ChatMessages.Add(msg);
            }
        }
        db.Announcements.Add(new Announcement(org.Id, c.Id, student.Id, "学生发的公告", now.AddDays(-40)));
        await db.SaveChangesAsync();
        return (org.Id, c.Id, student.Id, teacher.Id);
    }

    [Fact]
    public async Task Purge_StudentGoneAfter31Days_TeacherKept_StructuredDataKept_ReceiptAudited()
    {
        var now = _clock.GetUtcNow();
        var (org, classId, student, teacher) = await OrganisationWithLeaversAsync("RetA", 25, now);
        var run = await Job(now).RunForOrganisationAsync(org, "test", CancellationToken.None);

        Assert.Equal((25, RetentionRunState.Completed), (run.MessagesPurged, run.State));
        await using var db = factory.SystemDb();
        Assert.Equal(0, await db.ChatMessages.CountAsync(m => m.SenderMemberId == student));
        Assert.Equal(25, await db.ChatMessages.CountAsync(m => m.SenderMemberId == teacher));
        Assert.Equal(1, await db.Announcements.CountAsync(a => a.ClassId == classId));
        var receipt = await db.AuditEntries.SingleAsync(a => a.OrganisationId == org && a.Action == "retention.purged");
        Assert.Contains("\"messages\":25", receipt.Details);
        Assert.Contains(run.IdsDigest, receipt.Details);
        Assert.DoesNotContain("消息", receipt.Details);
    }

    [Fact]
    public async Task Purge_HoldKeepsEverything_ReleaseLetsNextRunPurge()
    {
        var now = _clock.GetUtcNow();
        var (org, classId, student, _) = await OrganisationWithLeaversAsync("RetB", 10, now);
        await using (var db = factory.SystemDb())
        {
            db.LegalHolds.Add(new LegalHold(org, classId, null, "诉讼保全", student, now.AddDays(-1), null));
            await db.SaveChangesAsync();
        }
        var held = await Job(now).RunForOrganisationAsync(org, "test", CancellationToken.None);
        Assert.Equal((0, 10), (held.MessagesPurged, held.SkippedForHolds));

        await using (var db = factory.SystemDb())
        {
            (await db.LegalHolds.SingleAsync(h => h.OrganisationId == org)).Release(now);
            await db.SaveChangesAsync();
        }
        var released = await Job(now.AddMinutes(1)).RunForOrganisationAsync(org, "test", CancellationToken.None);
        Assert.Equal(10, released.MessagesPurged);
        await using var check = factory.SystemDb();
        Assert.Equal(0, await check.ChatMessages.CountAsync(m => m.SenderMemberId == student));
    }

    /// <summary>Cancels the run after a number of batch deletes have executed.</summary>
    private sealed class CancelAfterDeletes(int deletes, CancellationTokenSource cts) : DbCommandInterceptor
    {
        private int _seen;

        public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
        {
            if (command.CommandText.StartsWith("DELETE FROM \"ChatMessages\"", StringComparison.Ordinal) && Interlocked.Increment(ref _seen) == deletes) cts.Cancel();
            return ValueTask.FromResult(result);
        }
    }

    private sealed class InterceptedFactory(DbContextOptions<PortalDbContext> options) : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => new(options);
    }

    [Fact]
    public async Task Purge_KilledMidway_RerunFinishes_NothingHeldDeleted_NothingCountedTwice()
    {
        var now = _clock.GetUtcNow();
        var (org, classId, student, _) = await OrganisationWithLeaversAsync("RetC", 1000, now);
        long heldMember;
        await using (var db = factory.SystemDb())
        {
            // A second student under a member hold: 200 due messages that must survive every run.
            var m = new Member(org, "保全学生", "RetC-H");
            db.Members.Add(m);
            await db.SaveChangesAsync();
            heldMember = m.Id;
            for (var i = 0; i < 200; i++)
            {
                var msg = new ChatMessage(org, classId, m.Id, "held", now.AddDays(-40));
                msg.ScheduleRetention(now.AddDays(-1));
                db.ChatMessages.Add(msg);
            }
            db.LegalHolds.Add(new LegalHold(org, null, m.Id, "调查", student, now.AddDays(-2), null));
            await db.SaveChangesAsync();
        }

        using var cts = new CancellationTokenSource();
        var options = new DbContextOptionsBuilder<PortalDbContext>()
            .UseSqlite($"Data Source={factory.DatabasePath}", o => o.MigrationsAssembly(PortalDbContextConfigurator.SqliteMigrationsAssembly))
            .UseApplicationServiceProvider(factory.Services)
            .AddInterceptors(new CancelAfterDeletes(3, cts)).Options;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Job(now, batchSize: 100, new InterceptedFactory(options)).RunForOrganisationAsync(org, "test", cts.Token));

        await using (var mid = factory.SystemDb())
        {
            var killed = await mid.RetentionRuns.SingleAsync(r => r.OrganisationId == org);
            Assert.Equal(RetentionRunState.Running, killed.State);
            // The batch being deleted when the run was killed rolled back with its counters: counts and rows agree.
            var remaining = await mid.ChatMessages.CountAsync(m => m.SenderMemberId == student);
            Assert.InRange(remaining, 1, 999);
            Assert.Equal(1000 - remaining, killed.MessagesPurged);
        }

        var rerun = await Job(now).RunForOrganisationAsync(org, "test", CancellationToken.None);
        Assert.Equal(200, rerun.SkippedForHolds);
        await using var check = factory.SystemDb();
        var runs = await check.RetentionRuns.Where(r => r.OrganisationId == org).OrderBy(r => r.Id).ToListAsync();
        Assert.Equal(RetentionRunState.Interrupted, runs[0].State);
        Assert.Equal(1000, runs.Sum(r => r.MessagesPurged));
        Assert.Equal(0, await check.ChatMessages.CountAsync(m => m.SenderMemberId == student));
        Assert.Equal(200, await check.ChatMessages.CountAsync(m => m.SenderMemberId == heldMember));
    }

    [Fact]
    public async Task Export_IsAnAes256ZipThatOpensOnlyWithThePassword_AndIsAudited()
    {
        var now = _clock.GetUtcNow();
        var (org, classId, _, teacher) = await OrganisationWithLeaversAsync("RetD", 5, now);
        var adminEmail = "admin-retd@school.demo";
        await using (var db = factory.SystemDb())
        {
            var adminMember = new Member(org, "管理员", "RetD-A", OrgRole.EnterpriseAdmin);
            db.Members.Add(adminMember);
            await db.SaveChangesAsync();
            db.Users.Add(new ClassExit.Portal.Data.Identity.PortalUser { UserName = adminEmail, Email = adminEmail, OrganisationId = org, MemberId = adminMember.Id, DisplayName = "管理员" });
            await db.SaveChangesAsync();
            var roleId = await db.Roles.Where(r => r.Name == "EnterpriseAdmin").Select(r => r.Id).SingleAsync();
            var userId = await db.Users.Where(u => u.Email == adminEmail).Select(u => u.Id).SingleAsync();
            db.UserRoles.Add(new Microsoft.AspNetCore.Identity.IdentityUserRole<string> { UserId = userId, RoleId = roleId });
            await db.SaveChangesAsync();
        }
        var (exports, scope) = await factory.ServiceAsAsync<ChatExportService>(adminEmail);
        using var _ = scope;
        Assert.Equal(ClassExit.Portal.Domain.Errors.ErrorCatalogue.ExportPasswordTooWeak, await exports.CheckAsync(classId, teacher, "short"));
        const string password = "correct-horse-battery";
        Assert.Null(await exports.CheckAsync(classId, teacher, password));
        using var buffer = new MemoryStream();
        await exports.WriteAsync(classId, teacher, password, buffer);

        buffer.Position = 0;
        using (var zip = new ZipFile(buffer) { Password = password, IsStreamOwner = false })
        {
            var entry = zip.GetEntry("messages.csv");
            Assert.True(entry.IsCrypted);
            Assert.Equal(256, entry.AESKeySize);
            using var reader = new StreamReader(zip.GetInputStream(entry));
            var csv = await reader.ReadToEndAsync();
            Assert.Contains("message_id,class,sent_at_local,body", csv);
            Assert.Equal(6, csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        }
        buffer.Position = 0;
        using (var wrong = new ZipFile(buffer) { Password = "not-the-password!" })
            Assert.ThrowsAny<Exception>(() => new StreamReader(wrong.GetInputStream(wrong.GetEntry("messages.csv"))).ReadToEnd());

        await using var check = factory.SystemDb();
        Assert.True(await check.AuditEntries.AnyAsync(a => a.Action == "retention.chat_exported" && a.MemberId == teacher));
    }

    [Fact]
    public async Task Timeline_ShowsPurgeDatesAndHolds_UpcomingCountsDays()
    {
        var org = await TestOrganisation.CreateAsync(factory, "timeline");
        var (classId, _, members) = await org.AddClassAsync("高二(11)班", messagesEach: 4);
        var student = members.First(m => m.Role == ClassRole.Student).MemberId;
        var exit = await factory.WithKey(org.ApiKey).SendAsync(ExitApiTests.Exit(factory, classId, new { member_id = student, channel = "pc", verification = "sms" }));
        Assert.Equal(HttpStatusCode.OK, exit.StatusCode);
        var (retention, scope) = await factory.ServiceAsAsync<RetentionService>(org.AdminEmail);
        using var _ = scope;
        var row = Assert.Single(await retention.TimelineAsync(student), r => r.ClassId == classId);
        Assert.NotNull(row.PurgeAfter);
        Assert.Contains("30", row.Why);
        var upcoming = await retention.UpcomingAsync();
        Assert.Equal(31, upcoming.Count);
        Assert.Equal(4, row.MessagesKept);
        Assert.Equal(row.MessagesKept, upcoming.Sum(u => u.Messages));

        Assert.Null(await retention.PlaceHoldAsync(null, student, "调取记录", null));
        var held = Assert.Single(await retention.TimelineAsync(student), r => r.ClassId == classId);
        Assert.True(held.Held);
        Assert.Null(held.PurgeAfter);
    }
}
