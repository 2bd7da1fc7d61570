using System.Diagnostics;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Features.DeviceSync;
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

// Benchmarks of the portal's set-based jobs on a real SQLite file. Each prints its figures; nothing here is a pass/fail test.
var which = args.FirstOrDefault() ?? "all";
if (which is "all" or "sync-check") await SyncCheckBenchmark.RunAsync(devices: 100_000);

internal static class SyncCheckBenchmark
{
    public static async Task RunAsync(int devices)
    {
        var dir = Directory.CreateTempSubdirectory("classexit-bench-");
        var services = new ServiceCollection();
        services.AddOptions<IdentityOptions>().Configure(PortalIdentityOptions.Configure);
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
