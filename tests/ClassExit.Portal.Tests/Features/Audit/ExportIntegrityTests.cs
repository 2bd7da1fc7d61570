using System.Net;
using System.Text;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.Retention;
using ClassExit.Portal.Tests.Infrastructure;
using CsvHelper;
using ICSharpCode.SharpZipLib.Zip;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ClassExit.Portal.Tests.Features.Audit;

/// <summary>
/// Issue 15: every CSV the portal writes escapes formula-leading cells (CWE-1236), and both exports are audited before the first
/// byte leaves and after (completed or aborted, with rows and bytes). Each test has an organisation of its own.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class ExportIntegrityTests(PortalFactory factory)
{
    private readonly FakeTimeProvider _clock = factory.NewClock();

    private const string Hyperlink = "=HYPERLINK(\"http://x\",\"y\")";

    private static readonly string[] HostileCells = ["+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "=1+1"];

    /// <summary>A fresh organisation with one account of <paramref name="role"/> (password <see cref="DemoSeeder.Password"/>).</summary>
    private async Task<(long Org, long Member, string Email)> OrganisationWithAccountAsync(string name, string role, string displayName)
    {
        long org, member;
        await using (var db = factory.SystemDb())
        {
            var o = new Organisation($"{name} {Guid.NewGuid():N}", "Asia/Shanghai", OrganisationKind.Education);
            db.Organisations.Add(o);
            await db.SaveChangesAsync();
            var m = new Member(o.Id, displayName, $"{name}-{Guid.NewGuid():N}"[..20],
                role == PortalRoles.EnterpriseAdmin ? OrgRole.EnterpriseAdmin : OrgRole.Staff);
            db.Members.Add(m);
            await db.SaveChangesAsync();
            (org, member) = (o.Id, m.Id);
        }
        var email = $"{name.ToLowerInvariant()}-{Guid.NewGuid():N}@export.test";
        using var scope = factory.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = displayName, OrganisationId = org, MemberId = member };
        Assert.True((await users.CreateAsync(user, DemoSeeder.Password)).Succeeded);
        Assert.True((await users.AddToRoleAsync(user, role)).Succeeded);
        return (org, member, email);
    }

    private static List<Dictionary<string, string>> Parse(byte[] csv)
    {
        var rows = new List<Dictionary<string, string>>();
        using var reader = CsvReader.Create(csv);
        var header = reader.Headers.ToArray();
        Assert.NotEmpty(header);
        while (reader.Read())
            rows.Add(header.Select((h, i) => (h, i)).ToDictionary(x => x.h, x => reader.GetString(x.i)));
        return rows;
    }

    [Fact]
    public async Task AuditCsv_HostileDisplayNameAndCells_ArriveEscaped_NumbersStayNumbers_StartedEntryIsInItsOwnExport()
    {
        var (org, _, email) = await OrganisationWithAccountAsync("CsvAudit", PortalRoles.Auditor, Hyperlink);
        await using (var db = factory.SystemDb())
        {
            foreach (var cell in HostileCells)
                AuditLog.Add(db, org, AuditActor.System("csv test"), _clock.GetUtcNow(), "test.injection", targetType: "Cell", targetId: cell);
            // A negative number in a numeric column (the catalogue code) is a number, not a formula.
            AuditLog.Add(db, org, AuditActor.System("csv test"), _clock.GetUtcNow(), "test.negative", code: -5, targetId: "-5");
            await db.SaveChangesAsync();
        }
        var client = factory.CreateBrowserLikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await factory.SignInAsync(client, email)).StatusCode);

        var response = await client.GetAsync("/exports/audit.csv");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var text = Encoding.UTF8.GetString(bytes);
        // The display name reaches the file as text: a leading apostrophe, quoted, inner quotes doubled.
        Assert.Contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"", text);
        Assert.DoesNotContain("," + Hyperlink, text);

        var rows = Parse(bytes);
        // The export's own "started" entry was committed before the first byte, so the export contains it, with the hostile actor.
        var started = Assert.Single(rows, r => r["action"] == "audit.export_started");
        Assert.Equal("'" + Hyperlink, started["actor"]);
        var cells = rows.Where(r => r["action"] == "test.injection").Select(r => r["target_id"]).ToList();
        Assert.Equal(HostileCells.Length, cells.Count);
        Assert.Equal(HostileCells.Select(c => "'" + c).Order(), cells.Order());
        var negative = Assert.Single(rows, r => r["action"] == "test.negative");
        Assert.Equal("-5", negative["code"]);
        Assert.Equal("'-5", negative["target_id"]);
        Assert.DoesNotContain(rows, r => r.Values.Any(v => v.Length > 0 && "=+-@\t\r".Contains(v[0]) && v != "-5"));

        await using var check = factory.SystemDb();
        var completed = await check.AuditEntries.SingleAsync(a => a.OrganisationId == org && a.Action == "audit.exported");
        Assert.Contains($"\"rows\":{rows.Count}", completed.Details);
        Assert.Contains($"\"bytes\":{bytes.Length}", completed.Details);
        Assert.Contains("\"finished\":true", completed.Details);
    }

    [Fact]
    public async Task AuditCsv_ClientCancelsAfterTheFirstBytes_LeavesStartedAndAbortedEntries()
    {
        var (org, _, email) = await OrganisationWithAccountAsync("CsvAbort", PortalRoles.Auditor, "审计 中断");
        const int entries = 20_000;
        await using (var db = factory.SystemDb())
        {
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            var padding = new string('长', 200);
            for (var i = 0; i < entries; i++)
                AuditLog.Add(db, org, AuditActor.System("abort test"), _clock.GetUtcNow(), "test.bulk", targetId: i.ToString(), details: new { padding });
            await db.SaveChangesAsync();
        }
        var client = factory.CreateBrowserLikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await factory.SignInAsync(client, email)).StatusCode);

        using (var cancel = new CancellationTokenSource())
        {
            var response = await client.GetAsync("/exports/audit.csv", HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await using var body = await response.Content.ReadAsStreamAsync(cancel.Token);
            var first = new byte[4096];
            var read = await body.ReadAtLeastAsync(first, first.Length, throwOnEndOfStream: false, cancel.Token);
            Assert.Equal(first.Length, read);
            await cancel.CancelAsync();
            response.Dispose();
        }

        // The server notices the abort on its next write; wait for the entry (bounded), no fixed sleep.
        AuditEntry? aborted = null;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (aborted is null && DateTime.UtcNow < deadline)
        {
            await using var poll = factory.SystemDb();
            aborted = await poll.AuditEntries.SingleOrDefaultAsync(a => a.OrganisationId == org && a.Action == "audit.export_aborted");
            if (aborted is null) await Task.Delay(100);
        }
        Assert.NotNull(aborted);
        await using var check = factory.SystemDb();
        var started = await check.AuditEntries.SingleAsync(a => a.OrganisationId == org && a.Action == "audit.export_started");
        Assert.True(started.Id < aborted.Id);
        Assert.Equal(started.CorrelationId, aborted.CorrelationId);
        Assert.Equal(AuditOutcome.Failed, aborted.Outcome);
        Assert.Contains($"\"started_entry\":{started.Id}", aborted.Details);
        Assert.Contains("\"finished\":false", aborted.Details);
        var rows = int.Parse(System.Text.RegularExpressions.Regex.Match(aborted.Details!, "\"rows\":(\\d+)").Groups[1].Value);
        Assert.InRange(rows, 0, entries - 1);
        Assert.False(await check.AuditEntries.AnyAsync(a => a.OrganisationId == org && a.Action == "audit.exported"));
    }

    [Fact]
    public async Task AuditCsv_RefusedExport_WritesNoStartedEntry()
    {
        var (org, member, email) = await OrganisationWithAccountAsync("CsvRefused", PortalRoles.SchoolStaff, "老师 无权导出");
        var client = factory.CreateBrowserLikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await factory.SignInAsync(client, email)).StatusCode);
        var response = await client.GetAsync("/exports/audit.csv");
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);

        // The service refuses as well (the endpoint's policy is the first gate, not the only one): audited, nothing started.
        var (search, scope) = await factory.ServiceAsAsync<AuditSearchService>(email);
        using (scope)
        {
            var (code, trail) = await search.StartExportAsync(new AuditFilter());
            Assert.NotNull(code);
            Assert.Null(trail);
        }
        await using var check = factory.SystemDb();
        Assert.Equal(1, await check.AuditEntries.CountAsync(a => a.OrganisationId == org && a.Outcome == AuditOutcome.Refused && a.ActorMemberId == member));
        Assert.False(await check.AuditEntries.AnyAsync(a => a.OrganisationId == org && a.Action.StartsWith("audit.export")));
    }

    /// <summary>An organisation with an enterprise admin, a class named <paramref name="className"/> and a member who wrote <paramref name="bodies"/>.</summary>
    private async Task<(long Org, long ClassId, long Member, string AdminEmail)> ClassWithMessagesAsync(string className, IEnumerable<string> bodies)
    {
        var (org, admin, email) = await OrganisationWithAccountAsync("ChatCsv", PortalRoles.EnterpriseAdmin, "管理员 导出");
        await using var db = factory.SystemDb();
        var writer = new Member(org, "学生 写信", $"CC-{Guid.NewGuid():N}"[..16]);
        db.Members.Add(writer);
        await db.SaveChangesAsync();
        var now = _clock.GetUtcNow();
        var c = new ClassGroup(org, className, admin, DateOnly.FromDateTime(now.UtcDateTime).AddDays(90), now.AddDays(-100));
        db.Classes.Add(c);
        await db.SaveChangesAsync();
        db.Memberships.Add(new Membership(org, c.Id, admin, ClassRole.Owner, now.AddDays(-90)));
        db.Memberships.Add(new Membership(org, c.Id, writer.Id, ClassRole.Student, now.AddDays(-90)));
        foreach (var body in bodies) db.ChatMessages.Add(new ChatMessage(org, c.Id, writer.Id, body, now.AddDays(-5)));
        await db.SaveChangesAsync();
        return (org, c.Id, writer.Id, email);
    }

    [Fact]
    public async Task ChatExport_HostileBodiesAndClassName_ArriveEscaped_WithBom_AndIsAuditedAtBothEnds()
    {
        var (org, classId, member, email) = await ClassWithMessagesAsync("@班级名", [Hyperlink, .. HostileCells, "正常的消息"]);
        var (exports, scope) = await factory.ServiceAsAsync<ChatExportService>(email);
        using var _ = scope;
        const string password = "correct-horse-battery";
        using var buffer = new MemoryStream();
        Assert.Null(await exports.WriteAsync(classId, member, password, buffer));

        buffer.Position = 0;
        byte[] csv;
        using (var zip = new ZipFile(buffer) { Password = password, IsStreamOwner = false })
        {
            using var entry = new MemoryStream();
            await zip.GetInputStream(zip.GetEntry("messages.csv")).CopyToAsync(entry);
            csv = entry.ToArray();
        }
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, csv[..3]);
        var rows = Parse(csv);
        Assert.Equal(HostileCells.Length + 2, rows.Count);
        var expected = HostileCells.Select(c => "'" + c).Append("'" + Hyperlink).Append("正常的消息").Order(StringComparer.Ordinal);
        Assert.Equal(expected, rows.Select(r => r["body"]).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Equal("'@班级名", r["class"]));

        await using var check = factory.SystemDb();
        var started = await check.AuditEntries.SingleAsync(a => a.OrganisationId == org && a.Action == "retention.chat_export_started");
        var completed = await check.AuditEntries.SingleAsync(a => a.OrganisationId == org && a.Action == "retention.chat_exported");
        Assert.True(started.Id < completed.Id);
        Assert.Contains($"\"rows\":{rows.Count}", completed.Details);
        Assert.Contains($"\"bytes\":{buffer.Length}", completed.Details);
    }

    [Fact]
    public async Task ChatExport_OutputFailsMidStream_LeavesStartedAndAbortedEntries()
    {
        var (org, classId, member, email) = await ClassWithMessagesAsync("中断班", Enumerable.Range(0, 3000).Select(i => $"消息 {i} " + new string('字', 100)));
        var (exports, scope) = await factory.ServiceAsAsync<ChatExportService>(email);
        using var _ = scope;
        var output = new ClientGoesAway(afterBytes: 8192);
        await Assert.ThrowsAnyAsync<IOException>(() => exports.WriteAsync(classId, member, "correct-horse-battery", output));

        await using var check = factory.SystemDb();
        var started = await check.AuditEntries.SingleAsync(a => a.OrganisationId == org && a.Action == "retention.chat_export_started");
        var aborted = await check.AuditEntries.SingleAsync(a => a.OrganisationId == org && a.Action == "retention.chat_export_aborted");
        Assert.Equal(AuditOutcome.Failed, aborted.Outcome);
        Assert.Contains($"\"started_entry\":{started.Id}", aborted.Details);
        Assert.Contains("\"reason\":\"connection\"", aborted.Details);
        Assert.False(await check.AuditEntries.AnyAsync(a => a.OrganisationId == org && a.Action == "retention.chat_exported"));
    }

    /// <summary>A response body whose client disconnects once <paramref name="afterBytes"/> have been sent (what it got is discarded).</summary>
    private sealed class ClientGoesAway(int afterBytes) : Stream
    {
        private long _sent;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _sent;
        public override long Position { get => _sent; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (_sent + count > afterBytes) throw new IOException("The client went away.");
            _sent += count;
        }
    }
}
