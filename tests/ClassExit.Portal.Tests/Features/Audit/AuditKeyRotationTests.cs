using System.Net;
using System.Net.Sockets;
using System.Security.Claims;
using System.Security.Cryptography;
using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ClassExit.Portal.Tests.Features.Audit;

/// <summary>Audit keys from configuration, their rotation, and checkpoints sent to a webhook: the real services on a SQLite file of their own.</summary>
public sealed class AuditKeyRotationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("classexit-audit-keys-").FullName;
    private readonly string _oldKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly string _newKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

    private string DatabasePath => Path.Combine(_directory, "portal.db");

    private ServiceProvider Services(string current, bool withOld = true, string? webhook = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Audit:CurrentKeyId"] = current,
            ["Audit:KeyFile"] = null,
            ["Audit:SigningKeyFile"] = Path.Combine(_directory, "keys", "signing.pem"),
            ["Audit:CheckpointFile"] = Path.Combine(_directory, "anchors", "checkpoints.jsonl"),
            ["Audit:CheckpointWebhookUrl"] = webhook,
        };
        var i = 0;
        if (withOld)
        {
            settings[$"Audit:Keys:{i}:Id"] = "2026a";
            settings[$"Audit:Keys:{i++}:Key"] = _oldKey;
        }
        if (current == "2026b")
        {
            settings[$"Audit:Keys:{i}:Id"] = "2026b";
            settings[$"Audit:Keys:{i}:Key"] = _newKey;
        }
        return ServicesOnDatabase.Create(DatabasePath, new Nobody(), _clock, settings);
    }

    private static async Task<long> WriteAsync(ServiceProvider services, long? org, int count)
    {
        await using var db = (await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForSystem();
        if (org is null)
        {
            await db.Database.MigrateAsync();
            var created = new Organisation("轮换测试", "Asia/Shanghai", OrganisationKind.Enterprise);
            db.Organisations.Add(created);
            await db.SaveChangesAsync();
            org = created.Id;
        }
        for (var i = 0; i < count; i++) AuditLog.Add(db, org, AuditActor.System("rotation test"), DateTimeOffset.UtcNow, "test.rotation", targetId: i.ToString());
        await db.SaveChangesAsync();
        return org.Value;
    }

    [Fact]
    public async Task Rotation_NewEntriesUseTheNewKey_OldOnesStayVerifiable_WhileTheOldKeyIsKept()
    {
        long org;
        await using (var before = Services("2026a"))
            org = await WriteAsync(before, null, 3);
        await using (var after = Services("2026b"))
        {
            await WriteAsync(after, org, 2);
            var result = await after.GetRequiredService<AuditChainService>().VerifyAsync(org);
            Assert.True(result.Intact, $"{result.Break} {result.Detail}");
            Assert.Equal(5, result.EntriesChecked);
            await using var db = (await after.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForSystem();
            Assert.Equal(["2026a", "2026a", "2026a", "2026b", "2026b"],
                await db.AuditEntries.Where(a => a.OrganisationId == org).OrderBy(a => a.Sequence).Select(a => a.KeyId!).ToListAsync());
        }
        // Dropping the old key too early: its entries can no longer be vouched for, and Verify says which key is missing.
        await using var withoutOld = Services("2026b", withOld: false);
        var missing = await withoutOld.GetRequiredService<AuditChainService>().VerifyAsync(org);
        Assert.Equal((ChainBreak.Forged, 1L), (missing.Break, missing.Sequence));
        Assert.Contains("'2026a'", missing.Detail);
    }

    [Fact]
    public async Task Checkpoint_IsPostedToTheWebhook_AndAnUnreachableWebhookIsOnlyLogged()
    {
        using var listener = new HttpListener();
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}/checkpoints/";
        listener.Prefixes.Add(url);
        listener.Start();
        var received = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            context.Response.StatusCode = 204;
            context.Response.Close();
            return (context.Request.HttpMethod, context.Request.ContentType, body);
        });

        long org;
        await using (var services = Services("2026a", webhook: url))
        {
            org = await WriteAsync(services, null, 4);
            await services.GetRequiredService<AuditCheckpoints>().RunAsync(default);
            var (method, type, body) = await received.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("POST", method);
            Assert.StartsWith("application/json", type);
            var sent = SignedCheckpoint.Parse(body);
            Assert.NotNull(sent);
            Assert.Equal((org, 4L, "2026a", _clock.GetUtcNow()), (sent.OrganisationId, sent.Sequence, sent.KeyId, sent.At));
            Assert.True(services.GetRequiredService<AuditCheckpoints>().IsAuthentic(sent));
        }
        listener.Stop();

        await using var unreachable = Services("2026a", webhook: $"http://127.0.0.1:{FreePort()}/none/");
        await WriteAsync(unreachable, org, 1);
        var written = await unreachable.GetRequiredService<AuditCheckpoints>().CheckpointAsync(org, default);
        Assert.Equal(5, written!.Sequence);
        Assert.Equal(5, (await unreachable.GetRequiredService<AuditCheckpoints>().LatestAsync(org, default))!.Sequence);
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private sealed class Nobody : ICurrentUser
    {
        public Task<PortalPrincipal> GetAsync() => throw new InvalidOperationException("No user in these tests.");
    }
}
