using System.Security.Claims;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Notifications;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Features.DeviceSync;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Features.Notifications;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.TestSupport;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ClassExit.Portal.Tests.Features.Notifications;

/// <summary>
/// Issue 17 on the real services and a SQLite file of its own, with a real SMTP server in the process and a fake clock: who is told of
/// a request that needs approval (the approvers of that class, each once, in their language, nobody else and nobody of another
/// organisation), the SLA reminder (once, at 75 %, not for a decided request), nothing for a rolled-back change, retries against a
/// failing server without duplicates, and the notifications of the escalation job and of the stale-devices report.
/// </summary>
public sealed class NotificationTests : IAsyncLifetime
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"notify-{Guid.NewGuid():N}.db");
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 1, 0, 0, TimeSpan.Zero));
    private readonly InProcessSmtpServer _smtp = new();
    private readonly List<ServiceProvider> _providers = [];
    private World _w = null!;

    private sealed record Account(string Email, string UserId, long MemberId);

    private sealed record World(long Org, long OtherOrg, long ClassId, long Student, long Student2, Account Owner, Account Teacher2, Account Admin,
        Account OtherClassTeacher, Account Disabled, Account OtherOrgAdmin, Account OtherOrgStaff);

    private Dictionary<string, string?> Settings => new()
    {
        ["Email:Host"] = "127.0.0.1", ["Email:Port"] = _smtp.Port.ToString(), ["Email:UseTls"] = "false",
        ["Email:From"] = "ClassExit.Portal <portal@notify.test>", ["Email:PortalUrl"] = "http://portal.test",
    };

    public async Task InitializeAsync()
    {
        await using var setup = ServicesOnDatabase.Create(_path, ServicesOnDatabase.From(new ClaimsPrincipal()), _clock, Settings);
        await using var db = (await setup.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForSystem();
        await db.Database.MigrateAsync();
        foreach (var role in PortalRoles.All) db.Roles.Add(new IdentityRole(role) { NormalizedName = role.ToUpperInvariant() });
        var now = _clock.GetUtcNow();
        var org = new Organisation("Notify School", "Asia/Shanghai", OrganisationKind.Education, new ExitPolicy { ExitRequiresApproval = true, ApprovalSlaHours = 48 });
        var other = new Organisation("Other School", "Asia/Shanghai", OrganisationKind.Education, new ExitPolicy { ExitRequiresApproval = true });
        db.Organisations.AddRange(org, other);
        await db.SaveChangesAsync();

        async Task<Account> AccountAsync(long orgId, string email, string name, OrgRole orgRole, string role, string culture, bool disabled = false)
        {
            var m = new Member(orgId, name, "N-" + email, orgRole, email);
            db.Members.Add(m);
            await db.SaveChangesAsync();
            var u = new PortalUser
            {
                UserName = email, NormalizedUserName = email.ToUpperInvariant(), Email = email, NormalizedEmail = email.ToUpperInvariant(),
                OrganisationId = orgId, MemberId = m.Id, DisplayName = name, PreferredCulture = culture, IsDisabled = disabled,
            };
            db.Users.Add(u);
            await db.SaveChangesAsync();
            db.UserRoles.Add(new IdentityUserRole<string> { UserId = u.Id, RoleId = (await db.Roles.SingleAsync(r => r.Name == role)).Id });
            await db.SaveChangesAsync();
            return new Account(email, u.Id, m.Id);
        }

        var owner = await AccountAsync(org.Id, "owner@notify.test", "王老师", OrgRole.Staff, PortalRoles.SchoolStaff, "zh-CN");
        var teacher2 = await AccountAsync(org.Id, "teacher2@notify.test", "Ms Li", OrgRole.Staff, PortalRoles.SchoolStaff, "en");
        var admin = await AccountAsync(org.Id, "admin@notify.test", "Admin Zhou", OrgRole.EnterpriseAdmin, PortalRoles.EnterpriseAdmin, "en");
        var elsewhere = await AccountAsync(org.Id, "elsewhere@notify.test", "Mr Chen", OrgRole.Staff, PortalRoles.SchoolStaff, "en");
        var disabled = await AccountAsync(org.Id, "disabled@notify.test", "Mr Gone", OrgRole.Staff, PortalRoles.SchoolStaff, "en", disabled: true);
        var otherAdmin = await AccountAsync(other.Id, "admin@other.test", "Other Admin", OrgRole.EnterpriseAdmin, PortalRoles.EnterpriseAdmin, "en");
        var otherStaff = await AccountAsync(other.Id, "staff@other.test", "Other Staff", OrgRole.Staff, PortalRoles.SchoolStaff, "en");

        var s1 = new Member(org.Id, "学生甲", "NS-1");
        var s2 = new Member(org.Id, "学生乙", "NS-2");
        db.Members.AddRange(s1, s2);
        var cls = new ClassGroup(org.Id, "高一(1)班", owner.MemberId, DateOnly.FromDateTime(now.UtcDateTime).AddDays(120), now.AddDays(-100));
        var otherClass = new ClassGroup(org.Id, "高一(2)班", elsewhere.MemberId, DateOnly.FromDateTime(now.UtcDateTime).AddDays(120), now.AddDays(-100));
        var otherOrgClass = new ClassGroup(other.Id, "Other class", otherStaff.MemberId, DateOnly.FromDateTime(now.UtcDateTime).AddDays(120), now.AddDays(-100));
        db.Classes.AddRange(cls, otherClass, otherOrgClass);
        await db.SaveChangesAsync();
        db.Memberships.AddRange(
            new Membership(org.Id, cls.Id, owner.MemberId, ClassRole.Owner, now.AddDays(-90)),
            new Membership(org.Id, cls.Id, teacher2.MemberId, ClassRole.Teacher, now.AddDays(-90)),
            new Membership(org.Id, cls.Id, disabled.MemberId, ClassRole.Teacher, now.AddDays(-90)),
            new Membership(org.Id, cls.Id, s1.Id, ClassRole.Student, now.AddDays(-90)),
            new Membership(org.Id, cls.Id, s2.Id, ClassRole.Student, now.AddDays(-90)),
            new Membership(org.Id, otherClass.Id, elsewhere.MemberId, ClassRole.Owner, now.AddDays(-90)),
            new Membership(other.Id, otherOrgClass.Id, otherStaff.MemberId, ClassRole.Owner, now.AddDays(-90)));
        await db.SaveChangesAsync();
        _w = new World(org.Id, other.Id, cls.Id, s1.Id, s2.Id, owner, teacher2, admin, elsewhere, disabled, otherAdmin, otherStaff);
    }

    public async Task DisposeAsync()
    {
        foreach (var p in _providers) await p.DisposeAsync();
        await _smtp.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" }) File.Delete(f);
        if (Directory.Exists(_path + ".audit-keys")) Directory.Delete(_path + ".audit-keys", recursive: true);
        File.Delete(_path + ".audit-checkpoints.jsonl");
    }

    private async Task<IServiceProvider> AsAsync(Account account, IDictionary<string, string?>? settings = null)
    {
        var p = ServicesOnDatabase.Create(_path, await ServicesOnDatabase.AccountAsync(_path, account.Email), _clock, settings ?? Settings);
        _providers.Add(p);
        return p.CreateScope().ServiceProvider;
    }

    private async Task<IServiceProvider> SystemAsync() => await AsAsync(_w.Admin);

    private async Task<PortalDbContext> DbAsync() =>
        (await (await SystemAsync()).GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForSystem();

    /// <summary>The admin asks, on the student's behalf, for an exit that the organisation's policy sends to approval.</summary>
    private async Task<long> RequestExitAsync(long student)
    {
        var exits = (await AsAsync(_w.Admin)).GetRequiredService<ExitService>();
        var result = await exits.RequestAsync(new ExitCommand(_w.ClassId, student, ExitKind.OnBehalf, ExitChannel.Portal, VerificationMethod.None, Reason: "transfer"));
        Assert.Equal(ExitRequestStatus.PendingApproval, result.Status);
        return result.ExitRequestId!.Value;
    }

    private async Task<int> SendAsync() => await (await SystemAsync()).GetRequiredService<EmailOutboxJob>().RunAsync(CancellationToken.None);

    private async Task<List<(string UserId, string Kind)>> NotificationsAsync()
    {
        await using var db = await DbAsync();
        return (await db.Notifications.Select(n => new { n.UserId, n.Kind }).ToListAsync()).Select(n => (n.UserId, n.Kind)).ToList();
    }

    [Fact]
    public async Task RequestNeedingApproval_EachApproverOfThatClassGetsOneEmailInTheirLanguage_NobodyElse()
    {
        var requestId = await RequestExitAsync(_w.Student);

        Assert.Equal(2, await SendAsync());
        Assert.Equal(0, await SendAsync());
        var mails = _smtp.Received;
        Assert.Equal(["owner@notify.test", "teacher2@notify.test"], mails.Select(m => m.To.Mailboxes.Single().Address).Order());
        var zh = mails.Single(m => m.To.Mailboxes.Single().Address == "owner@notify.test");
        var en = mails.Single(m => m.To.Mailboxes.Single().Address == "teacher2@notify.test");
        Assert.Equal("学生甲 申请退出 高一(1)班：等待您审批", zh.Subject);
        Assert.Contains("王老师，您好", zh.TextBody);
        Assert.Equal("学生甲 asks to leave 高一(1)班: your decision is needed", en.Subject);
        Assert.Contains("Hello Ms Li", en.TextBody);
        Assert.Contains($"http://portal.test/exits/{requestId}", en.HtmlBody);
        Assert.Equal("exit.approval_needed", en.Headers["X-ClassExit-Event"]);
        // One Message-Id per outbox row: the two e-mails are two rows.
        Assert.Equal(2, mails.Select(m => m.MessageId).Distinct().Count());
        Assert.All(mails, m => Assert.Matches(@"^notification-\d+@notify\.test$", m.MessageId));

        // In the portal too, and for exactly the same two accounts: not the admin who asked, not the teacher of another class, not
        // the disabled account, nobody of the other organisation.
        var told = await NotificationsAsync();
        Assert.Equal(new[] { _w.Owner.UserId, _w.Teacher2.UserId }.Order(), told.Where(n => n.Kind == EventKinds.ApprovalNeeded).Select(n => n.UserId).Order());
        Assert.DoesNotContain(told, n => n.UserId == _w.OtherOrgAdmin.UserId || n.UserId == _w.OtherOrgStaff.UserId || n.UserId == _w.Disabled.UserId);

        // The bell counts it for the approver; the list shows the English title to an English reader, and "mark all read" clears it.
        var service = (await AsAsync(_w.Teacher2)).GetRequiredService<NotificationsService>();
        Assert.Equal(1, await service.UnreadCountAsync());
        System.Globalization.CultureInfo.CurrentUICulture = System.Globalization.CultureInfo.GetCultureInfo("en");
        var page = await service.ListAsync(0, 10, unreadOnly: true);
        Assert.Equal(1, page.Total);
        Assert.Equal($"/exits/{requestId}", page.Rows.Single().Link);
        Assert.Equal(1, await service.MarkAllReadAsync());
        Assert.Equal(0, await service.UnreadCountAsync());
    }

    [Fact]
    public async Task SlaReminder_ArrivesOnceAtSeventyFivePercent_AndNotForADecidedRequest()
    {
        var pending = await RequestExitAsync(_w.Student);
        var decided = await RequestExitAsync(_w.Student2);
        Assert.Equal(4, await SendAsync());
        await using (var db = await DbAsync())
            Assert.Equal(_clock.GetUtcNow().AddHours(36), (await db.ApprovalReminders.SingleAsync(r => r.ExitRequestId == pending)).DueAt);

        // Teacher 2 rejects the second: its reminder is cancelled at once.
        var exits = (await AsAsync(_w.Teacher2)).GetRequiredService<ExitService>();
        var version = await ExitVersionAsync(decided);
        Assert.True((await exits.RejectAsync(decided, version, "stays")).Succeeded);
        await using (var db = await DbAsync())
            Assert.NotNull((await db.ApprovalReminders.SingleAsync(r => r.ExitRequestId == decided)).CancelledAt);

        var reminders = (await SystemAsync()).GetRequiredService<ApprovalReminderJob>();
        _clock.Advance(TimeSpan.FromHours(36) - TimeSpan.FromMinutes(1));
        Assert.Equal(0, await reminders.RunAsync(CancellationToken.None));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await reminders.RunAsync(CancellationToken.None));
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await reminders.RunAsync(CancellationToken.None));

        // The two reminders, and the rejection of the second request to its requester (the admin).
        Assert.Equal(3, await SendAsync());
        var reminded = _smtp.Received.Where(m => m.Headers["X-ClassExit-Event"] == EventKinds.ApprovalReminder).ToList();
        Assert.Equal(["owner@notify.test", "teacher2@notify.test"], reminded.Select(m => m.To.Mailboxes.Single().Address).Order());
        Assert.All(reminded, m => Assert.Contains("学生甲", m.Subject));
        // The rejection went to the requester (the admin), in English.
        Assert.Contains(_smtp.Received, m => m.Headers["X-ClassExit-Event"] == EventKinds.ExitRejected && m.To.Mailboxes.Single().Address == "admin@notify.test"
            && m.Subject!.StartsWith("Rejected:", StringComparison.Ordinal));
    }

    private async Task<int> ExitVersionAsync(long id)
    {
        await using var db = await DbAsync();
        return await db.ExitRequests.Where(e => e.Id == id).Select(e => e.Version).SingleAsync();
    }

    [Fact]
    public async Task RolledBackChange_SendsNothing_AndTellsNoCircuit()
    {
        var services = await SystemAsync();
        var requestId = await RequestExitAsync(_w.Student);
        Assert.Equal(2, await SendAsync());
        await using var before = await DbAsync();
        var outbox = await before.EmailOutbox.CountAsync();
        var rows = await before.Notifications.CountAsync();

        var told = 0;
        using var subscription = services.GetRequiredService<NotificationNotifier>().Subscribe(_w.Owner.UserId, () => { Interlocked.Increment(ref told); return Task.CompletedTask; });
        await using (var db = (await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForTenant(_w.Org))
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            await services.GetRequiredService<PortalEvents>().RaiseAsync(db, new PortalEvent(_w.Org, EventKinds.ApprovalReminder, _clock.GetUtcNow(),
                "ExitRequest", requestId.ToString(), _w.ClassId, _w.Student));
            Assert.Equal(2, db.ChangeTracker.Entries<EmailOutboxMessage>().Count());
            await db.SaveChangesAsync();
            await tx.RollbackAsync();
        }
        await using var after = await DbAsync();
        Assert.Equal(outbox, await after.EmailOutbox.CountAsync());
        Assert.Equal(rows, await after.Notifications.CountAsync());
        Assert.Equal(0, await SendAsync());
        Assert.Equal(2, _smtp.Received.Count);
        Assert.Equal(0, told);

        // The same event committed does tell the open circuit.
        await using (var db = (await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForTenant(_w.Org))
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            await services.GetRequiredService<PortalEvents>().RaiseAsync(db, new PortalEvent(_w.Org, EventKinds.ApprovalReminder, _clock.GetUtcNow(),
                "ExitRequest", requestId.ToString(), _w.ClassId, _w.Student));
            await db.SaveChangesAsync();
            Assert.Equal(0, told);
            await tx.CommitAsync();
        }
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Volatile.Read(ref told) == 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(1, told);
    }

    [Fact]
    public async Task FailingSmtpServer_IsRetriedWithBackOff_AndSucceedsLaterWithoutDuplicates()
    {
        await RequestExitAsync(_w.Student);
        _smtp.FailNext = 2;
        Assert.Equal(0, await SendAsync());
        Assert.Equal(2, _smtp.Refused);
        Assert.Empty(_smtp.Received);
        await using (var db = await DbAsync())
        {
            var rows = await db.EmailOutbox.ToListAsync();
            Assert.Equal(2, rows.Count);
            Assert.All(rows, r => Assert.Equal((EmailOutboxState.Pending, 1, _clock.GetUtcNow().AddMinutes(1)), (r.State, r.Attempts, r.NextAttemptAt)));
        }
        // Not due yet: nothing is tried.
        Assert.Equal(0, await SendAsync());
        Assert.Equal(2, _smtp.Refused);

        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(2, await SendAsync());
        Assert.Equal(0, await SendAsync());
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(0, await SendAsync());
        Assert.Equal(2, _smtp.Received.Count);
        Assert.Equal(2, _smtp.Received.Select(m => m.MessageId).Distinct().Count());
        await using (var db = await DbAsync())
            Assert.All(await db.EmailOutbox.ToListAsync(), r => Assert.Equal((EmailOutboxState.Sent, 2), (r.State, r.Attempts)));
    }

    [Fact]
    public async Task EscalationJob_TellsTheAdminsOfThatOrganisationOnly()
    {
        var requestId = await RequestExitAsync(_w.Student);
        _clock.Advance(TimeSpan.FromHours(49));
        var job = (await SystemAsync()).GetRequiredService<ExitEscalationJob>();
        Assert.Equal(1, await job.RunAsync(CancellationToken.None));
        var escalated = (await NotificationsAsync()).Where(n => n.Kind == EventKinds.ApprovalEscalated).Select(n => n.UserId).ToList();
        // The admin asked for it, so separation of duties leaves them out of its deciders: no admin of this organisation may decide it,
        // and nobody of the other organisation is ever told.
        Assert.DoesNotContain(_w.OtherOrgAdmin.UserId, escalated);
        Assert.Empty(escalated);

        // A request the owner started on the student's behalf: the admin may decide it, and hears of the escalation.
        var exits = (await AsAsync(_w.Owner)).GetRequiredService<ExitService>();
        var second = await exits.RequestAsync(new ExitCommand(_w.ClassId, _w.Student2, ExitKind.OnBehalf, ExitChannel.Portal, VerificationMethod.None));
        Assert.Equal(ExitRequestStatus.PendingApproval, second.Status);
        _clock.Advance(TimeSpan.FromHours(49));
        Assert.Equal(1, await job.RunAsync(CancellationToken.None));
        escalated = (await NotificationsAsync()).Where(n => n.Kind == EventKinds.ApprovalEscalated).Select(n => n.UserId).ToList();
        Assert.Equal([_w.Admin.UserId], escalated);
        await SendAsync();
        var mail = Assert.Single(_smtp.Received, m => m.Headers["X-ClassExit-Event"] == EventKinds.ApprovalEscalated);
        Assert.Equal("admin@notify.test", mail.To.Mailboxes.Single().Address);
        Assert.StartsWith("Escalated: the exit of 学生乙", mail.Subject);
        Assert.True(requestId > 0);
    }

    [Fact]
    public async Task StaleDevicesReport_ReachesTheAdminsInTheDailyDigest_OneEmail()
    {
        await using (var db = await DbAsync())
        {
            var now = _clock.GetUtcNow();
            for (var i = 0; i < 3; i++)
            {
                var device = new Device($"NS-D{i}", _w.Org, _w.Student, Platform.Windows, NetworkClass.SameNetwork, "3.1.10", $"02:00:00:00:00:0{i}", bound: true);
                device.MarkStale(1, now.AddMinutes(-90));
                db.Devices.Add(device);
            }
            // A device stale for only 20 minutes is not in the report.
            var recent = new Device("NS-D9", _w.Org, _w.Student2, Platform.Windows, NetworkClass.SameNetwork, "3.1.10", "02:00:00:00:00:09", bound: true);
            recent.MarkStale(1, now);
            db.Devices.Add(recent);
            db.MembershipChanges.Add(new MembershipChange(_w.Org, _w.Student, 1, _w.ClassId, "exit", now.AddHours(-2)));
            db.MembershipChanges.Add(new MembershipChange(_w.Org, _w.Student2, 1, _w.ClassId, "exit", now.AddMinutes(-20)));
            await db.SaveChangesAsync();
        }
        var services = await SystemAsync();
        Assert.Equal(1, await services.GetRequiredService<SyncCheckJob>().ReportStaleDevicesAsync(CancellationToken.None));

        var told = (await NotificationsAsync()).Where(n => n.Kind == EventKinds.DevicesStale).Select(n => n.UserId).ToList();
        Assert.Equal([_w.Admin.UserId], told);
        // A digest by default: nothing is mailed until the digest runs, then one e-mail.
        Assert.Equal(0, await SendAsync());
        Assert.Equal(1, await services.GetRequiredService<NotificationDigestJob>().RunAsync(CancellationToken.None));
        var mail = Assert.Single(_smtp.Received);
        Assert.Equal("admin@notify.test", mail.To.Mailboxes.Single().Address);
        Assert.Contains("3 devices have missed a membership change for over an hour", mail.TextBody);
        Assert.Contains("http://portal.test/sync-health", mail.TextBody);
        Assert.Equal(0, await services.GetRequiredService<NotificationDigestJob>().RunAsync(CancellationToken.None));
        Assert.Single(_smtp.Received);
    }

    [Fact]
    public async Task Preferences_PortalOnlySendsNoEmail_AndAdminsCannotTurnSecurityEventsOff()
    {
        var teacher = (await AsAsync(_w.Teacher2)).GetRequiredService<NotificationsService>();
        Assert.Null(await teacher.SetPreferenceAsync(EventKinds.ApprovalNeeded, NotificationDelivery.Portal));
        var admin = (await AsAsync(_w.Admin)).GetRequiredService<NotificationsService>();
        Assert.Equal(Domain.Errors.ErrorCatalogue.SecurityNotificationRequired, await admin.SetPreferenceAsync(EventKinds.KeyClassExitAttempt, NotificationDelivery.Off));
        Assert.Equal(Domain.Errors.ErrorCatalogue.UnknownEventKind, await admin.SetPreferenceAsync("no.such.event", NotificationDelivery.Email));
        Assert.Null(await admin.SetPreferenceAsync(EventKinds.PurgeFinished, NotificationDelivery.Off));

        await RequestExitAsync(_w.Student);
        Assert.Equal(1, await SendAsync());
        Assert.Equal("owner@notify.test", Assert.Single(_smtp.Received).To.Mailboxes.Single().Address);
        Assert.Contains((await NotificationsAsync()), n => n.UserId == _w.Teacher2.UserId && n.Kind == EventKinds.ApprovalNeeded);
    }

    [Fact]
    public async Task EmailOff_WritesNoOutbox_AndThePageSaysSo()
    {
        var off = new Dictionary<string, string?>(Settings) { ["Email:Host"] = "" };
        var exits = (await AsAsync(_w.Admin, off)).GetRequiredService<ExitService>();
        var result = await exits.RequestAsync(new ExitCommand(_w.ClassId, _w.Student, ExitKind.OnBehalf, ExitChannel.Portal, VerificationMethod.None));
        Assert.Equal(ExitRequestStatus.PendingApproval, result.Status);
        Assert.False((await AsAsync(_w.Owner, off)).GetRequiredService<NotificationsService>().EmailEnabled);
        await using var db = await DbAsync();
        Assert.Equal(0, await db.EmailOutbox.CountAsync());
        Assert.Equal(2, await db.Notifications.CountAsync());
    }
}
