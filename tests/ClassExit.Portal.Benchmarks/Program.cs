using System.Diagnostics;
using System.Globalization;
using ClassExit.Portal.Benchmarks;
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

// Benchmarks on real SQLite files, in Release: `-- scale [--smoke] [--no-docs] [--only prefix,…]`, `-- sync-check`, `-- purge`, `-- all`.
// Each figure is one line: figure <name> median_ms=… p95_ms=… raw_p95_ms=… ratio=… goal=… verdict=pass|fail (docs/benchmarks.md).
// Nothing here asserts a time: the exit code is non-zero only when a benchmark could not run.
var which = args.FirstOrDefault() ?? "all";
var smoke = args.Contains("--smoke");
var root = args.Contains("--no-docs") || smoke ? null : RepositoryRoot();
if (which is not ("all" or "scale" or "sync-check" or "purge"))
{
    Console.Error.WriteLine($"Unknown benchmark '{which}': use scale [--smoke] [--no-docs], sync-check, purge or all.");
    return 2;
}
// --only a,b: measure only the scale figures whose names start with a or b (docs are then not rewritten).
var onlyAt = Array.IndexOf(args, "--only");
IReadOnlyList<string> only = onlyAt >= 0 && onlyAt + 1 < args.Length ? args[onlyAt + 1].Split(',', StringSplitOptions.RemoveEmptyEntries) : [];
if (which is "scale" or "all") await ScaleBenchmark.RunAsync(smoke, root, only);
if (which is "sync-check" or "all")
{
    var report = new Report("sync-check");
    await SyncCheckBenchmark.RunAsync(devices: smoke ? 2_000 : 100_000, report);
    if (root is not null) report.WriteDocs(root, "Sync check (`-- sync-check`)", "The device sync check job over 100,000 devices (half their members changed 10 minutes ago) on its own SQLite file.");
}
if (which is "purge" or "all")
{
    var report = new Report("purge");
    await PurgeBenchmark.RunAsync(messages: smoke ? 5_000 : 1_000_000, report);
    if (root is not null) report.WriteDocs(root, "Retention purge (`-- purge`)", "The retention purge job over 1,000,000 expired messages of one class on its own SQLite file, with a concurrent writer measuring the longest write-lock hold.");
}
return 0;

static string? RepositoryRoot()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "ClassExit.Portal.sln"))) return dir.FullName;
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "ClassExit.Portal.sln"))) return dir.FullName;
    return null;
}

internal static class SyncCheckBenchmark
{
    public static async Task RunAsync(int devices, Report report)
    {
        var dir = Directory.CreateTempSubdirectory("classexit-bench-");
        var services = new ServiceCollection();
        services.AddOptions<IdentityOptions>().Configure(PortalIdentityOptions.Configure);
        services.AddSingleton<ClassExit.Portal.Domain.Audit.IAuditKeyRing>(new ClassExit.Portal.Domain.Audit.AuditKeys("bench", [ClassExit.Portal.Domain.Audit.AuditKeys.NewKey("bench")]));
        var app = services.BuildServiceProvider();
        var connection = $"Data Source={Path.Combine(dir.FullName, "bench.db")}";
        var options = new DbContextOptionsBuilder<PortalDbContext>().UsePortalProvider(DatabaseProvider.Sqlite, connection).UseApplicationServiceProvider(app).Options;
        var factory = new Factory(options);
        await ScaleDatabase.MigrateAsync(Path.Combine(dir.FullName, "bench.db"));
        await using (var db = factory.CreateDbContext().ForSystem())
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");

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
        var first = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        var again = await job.RunAsync(CancellationToken.None);
        var second = sw.Elapsed.TotalMilliseconds;
        report.Add(Figure.P95($"sync_check_{devices / 1000}k_first_run", [first], null, 5000, $"1 run, {flagged:N0} devices flagged stale of {devices:N0}"));
        report.Add(Figure.P95($"sync_check_{devices / 1000}k_second_run", [second], null, 5000, $"1 run, nothing changed, {again:N0} flagged"));
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
    public static async Task RunAsync(int messages, Report report)
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
        await ScaleDatabase.MigrateAsync(Path.Combine(dir.FullName, "purge.db"));
        await using (var db = factory.CreateDbContext().ForSystem())
        {
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
        var path = Path.Combine(dir.FullName, "purge.db");
        var probe = await WriteLockProbe.StartAsync(path);
        var sw = Stopwatch.StartNew();
        var run = await job.RunForOrganisationAsync(orgId, "benchmark", CancellationToken.None);
        sw.Stop();
        var (longest, samples) = probe.Snapshot();
        await probe.DisposeAsync();
        foreach (var f in Figures(run.MessagesPurged, sw.Elapsed, longest, samples, run.Batches, run.LongestBatchMilliseconds, messages)) report.Add(f);
        SqliteConnection.ClearAllPools();
        dir.Delete(recursive: true);
    }

    /// <summary>The purge's two figures: throughput (goal ≥ 1,000,000 rows/min) and the longest write-lock hold seen by a concurrent writer (≤ 200 ms).</summary>
    public static IEnumerable<Figure> Figures(long purged, TimeSpan elapsed, double longestWait, int probes, int batches, long longestBatchMs, long due)
    {
        var perMinute = purged / Math.Max(0.001, elapsed.TotalMinutes);
        var ms = elapsed.TotalMilliseconds;
        yield return new Figure($"purge_{due / 1000}k_rows", ms, ms, null,
            string.Create(CultureInfo.InvariantCulture, $">=1000000rows/min(measured={perMinute:0}rows/min)"), perMinute >= 1_000_000 && purged >= due,
            $"1 run: {purged:N0} of {due:N0} due messages in {elapsed.TotalSeconds:0.0} s, {batches} batches");
        yield return new Figure("purge_longest_write_lock", longestBatchMs, longestWait, null,
            string.Create(CultureInfo.InvariantCulture, $"longest_write_lock_hold<=200ms(concurrent_writer_waited={longestWait:0}ms)"), longestWait <= 200,
            $"median_ms is the job's own longest batch, p95_ms the longest wait of a concurrent writer over {probes:N0} writes during the purge");
    }

    private sealed class SimpleFactory(DbContextOptions<PortalDbContext> options) : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => new(options);
    }
}
