using System.Diagnostics;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Features.DeviceSync;
using ClassExit.Portal.Features.Retention;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

// Benchmarks of the portal's set-based jobs on a real SQLite file. Each prints its figures; nothing here is a pass/fail test.
var which = args.FirstOrDefault() ?? "all";
if (which is "all" or "sync-check") await SyncCheckBenchmark.RunAsync(devices: 100_000);
if (which is "all" or "purge") await PurgeBenchmark.RunAsync(messages: 1_000_000);

internal static class SyncCheckBenchmark
{
    public static async Task RunAsync(int devices)
    {
        var dir = Directory.CreateTempSubdirectory("classexit-bench-");
        var services = new ServiceCollection();
        services.AddOptions<IdentityOptions>().Configure(PortalIdentityOptions.Configure);
        services.AddSingleton<ClassExit.Portal.Domain.Audit.IAuditKeyRing>(new ClassExit.Portal.Domain.Audit.AuditKeys("bench", [ClassExit.Portal.Domain.Audit.AuditKeys.NewKey("bench")]));
        var app = services.BuildServiceProvider();
        var connection = $"Data Source={Path.Combine(dir.FullName, "bench.db")}";
        var options = new DbContextOptionsBuilder<PortalDbContext>().UsePortalProvider(DatabaseProvider.Sqlite, connection).UseApplicationServiceProvider(app).Options;
        var factory = new Factory(options);
        await using (var db = factory.CreateDbContext().ForSystem())
        {
            await db.Database.MigrateAsync();
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
        }

        var now = DateTimeOffset.UtcNow;
        var seed = Stopwatch.StartNew();
        long orgId;
        await using (var db = factory.CreateDbContext().ForSystem())
        {
            var org = new Organisation("Bench", "Asia/Shanghai", OrganisationKind.Enterprise);
            db.Organisations.Add(org);
            await db.SaveChangesAsync();
            orgId = org.Id;
        }
        var random = new Random(7);
        const int batch = 10_000;
        for (var start = 0; start < devices / 2; start += batch)
        {
            await using var db = factory.CreateDbContext().ForSystem();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            var members = Enumerable.Range(start, batch).Select(i => new Member(orgId, $"M{i}", $"E{i}")).ToList();
            db.Members.AddRange(members);
            await db.SaveChangesAsync();
            foreach (var m in members)
            {
                // Half of the members had a change 10 minutes ago that some of their devices have not acknowledged.
                var changed = random.Next(2) == 0;
                if (changed)
                {
                    m.BumpMembershipVersion(now.AddMinutes(-10));
                    db.MembershipChanges.Add(new MembershipChange(orgId, m.Id, 1, null, "Bench", now.AddMinutes(-10)));
                }
                for (var d = 0; d < 2; d++)
                {
                    var device = new Device($"{m.EmployeeNo}-{d}", orgId, m.Id, Platform.Android, (NetworkClass)random.Next(3), "3.2.1", "00", true);
                    if (changed && random.Next(10) > 0) device.Acknowledge(1, now.AddMinutes(-9));
                    db.Devices.Add(device);
                }
            }
            db.ChangeTracker.DetectChanges();
            await db.SaveChangesAsync();
        }
        Console.WriteLine($"Seeded {devices:N0} devices in {seed.Elapsed.TotalSeconds:0.0} s ({dir.FullName})");

        var sync = Options.Create(new DeviceSyncOptions());
        var job = new SyncCheckJob(factory, TimeProvider.System, sync);
        var sw = Stopwatch.StartNew();
        var flagged = await job.RunAsync(CancellationToken.None);
        Console.WriteLine($"sync-check, first run: {flagged:N0} devices flagged stale of {devices:N0} in {sw.ElapsedMilliseconds} ms");
        sw.Restart();
        var again = await job.RunAsync(CancellationToken.None);
        Console.WriteLine($"sync-check, second run (nothing changed): {again:N0} flagged in {sw.ElapsedMilliseconds} ms");
        SqliteConnection.ClearAllPools();
        dir.Delete(recursive: true);
    }

    private sealed class Factory(DbContextOptions<PortalDbContext> options) : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => new(options);
    }
}

internal static class PurgeBenchmark
{
    /// <summary>Purges <paramref name="messages"/> expired chat messages through the real job: rows per second and the longest batch.</summary>
    public static async Task RunAsync(int messages)
    {
        var dir = Directory.CreateTempSubdirectory("classexit-bench-");
        var services = new ServiceCollection();
        services.AddOptions<IdentityOptions>().Configure(PortalIdentityOptions.Configure);
        services.AddSingleton<ClassExit.Portal.Domain.Audit.IAuditKeyRing>(new ClassExit.Portal.Domain.Audit.AuditKeys("bench", [ClassExit.Portal.Domain.Audit.AuditKeys.NewKey("bench")]));
        var app = services.BuildServiceProvider();
        var connection = $"Data Source={Path.Combine(dir.FullName, "purge.db")}";
        var options = new DbContextOptionsBuilder<PortalDbContext>().UsePortalProvider(DatabaseProvider.Sqlite, connection).UseApplicationServiceProvider(app).Options;
        var factory = new SimpleFactory(options);
        var now = DateTimeOffset.UtcNow;
        long orgId, classId, memberId;
        await using (var db = factory.CreateDbContext().ForSystem())
        {
            await db.Database.MigrateAsync();
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
            var org = new Organisation("Bench", "Asia/Shanghai", OrganisationKind.Enterprise);
            db.Organisations.Add(org);
            await db.SaveChangesAsync();
            var member = new Member(org.Id, "Leaver", "L1");
            db.Members.Add(member);
            await db.SaveChangesAsync();
            var c = new ClassGroup(org.Id, "Bench class", member.Id, DateOnly.FromDateTime(DateTime.UtcNow).AddDays(90), now);
            db.Classes.Add(c);
            await db.SaveChangesAsync();
            (orgId, classId, memberId) = (org.Id, c.Id, member.Id);
        }
        var seed = Stopwatch.StartNew();
        // Bulk insert with one prepared statement in a few large transactions: seeding is not what is measured.
        await using (var raw = new SqliteConnection(connection))
        {
            await raw.OpenAsync();
            const int chunk = 100_000;
            for (var start = 0; start < messages; start += chunk)
            {
                await using var tx = raw.BeginTransaction();
                var cmd = raw.CreateCommand();
                cmd.Transaction = tx;
                cmd.CommandText = "INSERT INTO ChatMessages (OrganisationId, ClassId, SenderMemberId, Body, SentAt, PurgeAfter, RetainedPermanently) VALUES ($o, $c, $m, $b, $s, $p, 0)";
                var pb = cmd.Parameters.Add("$b", SqliteType.Text);
                var ps = cmd.Parameters.Add("$s", SqliteType.Integer);
                var pp = cmd.Parameters.Add("$p", SqliteType.Integer);
                cmd.Parameters.AddWithValue("$o", orgId);
                cmd.Parameters.AddWithValue("$c", classId);
                cmd.Parameters.AddWithValue("$m", memberId);
                for (var i = start; i < Math.Min(messages, start + chunk); i++)
                {
                    pb.Value = $"message {i}";
                    ps.Value = now.AddDays(-60).UtcTicks;
                    pp.Value = now.AddDays(-1).AddSeconds(-i % 86_400).UtcTicks;
                    await cmd.ExecuteNonQueryAsync();
                }
                await tx.CommitAsync();
            }
        }
        Console.WriteLine($"Seeded {messages:N0} expired messages in {seed.Elapsed.TotalSeconds:0.0} s");

        var job = new RetentionPurgeJob(factory, TimeProvider.System, Options.Create(new RetentionOptions()), Microsoft.Extensions.Logging.Abstractions.NullLogger<RetentionPurgeJob>.Instance);
        var sw = Stopwatch.StartNew();
        var run = await job.RunForOrganisationAsync(orgId, "benchmark", CancellationToken.None);
        sw.Stop();
        Console.WriteLine($"purge: {run.MessagesPurged:N0} messages in {sw.Elapsed.TotalSeconds:0.0} s = {run.MessagesPurged / sw.Elapsed.TotalSeconds:N0} rows/s; " +
            $"{run.Batches} batches of at most 4,000, longest batch {run.LongestBatchMilliseconds} ms");
        SqliteConnection.ClearAllPools();
        dir.Delete(recursive: true);
    }

    private sealed class SimpleFactory(DbContextOptions<PortalDbContext> options) : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => new(options);
    }
}
