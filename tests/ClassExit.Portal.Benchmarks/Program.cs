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
if (which is not ("all" or "scale" or "sync-check" or "purge" or "circuits"))
{
    Console.Error.WriteLine($"Unknown benchmark '{which}': use scale [--smoke] [--no-docs] [--only a,b], sync-check, purge [--messages N] [--runs N] [--receipts N], circuits [--circuits N] or all.");
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
if (which is "purge" or "all") await PurgeBenchmark.RunAsync(messages: smoke ? 5_000 : 1_000_000);
if (which is "circuits") await CircuitBenchmark.RunAsync();
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
        var job = new SyncCheckJob(factory, TimeProvider.System, sync, new ClassExit.Portal.Features.Notifications.PortalEvents([]));
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

    /// <summary>
    /// Purges <paramref name="messages"/> expired chat messages through the real job, <c>--runs</c> times (default 3) on copies of one seeded
    /// file: rows per minute and the longest write-lock hold of any batch, medians over the runs, printed as <c>figure</c> lines.
    /// Options after <c>purge</c>: <c>--messages N</c>, <c>--runs N</c>, <c>--receipts N</c> (read receipts per message, default 0).
    /// </summary>
    public static async Task RunAsync(int messages)
    {
        var argv = Environment.GetCommandLineArgs();
        int Option(string name, int fallback) =>
            Array.IndexOf(argv, name) is var i and >= 0 && i + 1 < argv.Length && int.TryParse(argv[i + 1], out var v) ? v : fallback;
        messages = Option("--messages", messages);
        var runs = Math.Max(1, Option("--runs", 3));
        var receiptsPerMessage = Math.Max(0, Option("--receipts", 0));

        var dir = Directory.CreateTempSubdirectory("classexit-bench-");
        var services = new ServiceCollection();
        services.AddOptions<IdentityOptions>().Configure(PortalIdentityOptions.Configure);
        var app = services.BuildServiceProvider();
        var template = Path.Combine(dir.FullName, "purge-template.db");
        var now = DateTimeOffset.UtcNow;
        long orgId;
        var seed = Stopwatch.StartNew();
        await using (var db = new PortalDbContext(Options(template, app)).ForSystem())
        {
            await db.Database.MigrateAsync();
            var org = new Organisation("Bench", "Asia/Shanghai", OrganisationKind.Enterprise);
            db.Organisations.Add(org);
            await db.SaveChangesAsync();
            var member = new Member(org.Id, "Leaver", "L1");
            db.Members.Add(member);
            await db.SaveChangesAsync();
            var c = new ClassGroup(org.Id, "Bench class", member.Id, DateOnly.FromDateTime(DateTime.UtcNow).AddDays(90), now);
            db.Classes.Add(c);
            await db.SaveChangesAsync();
            orgId = org.Id;
            // Set-based seeding (seeding is not what is measured): one recursive CTE per table.
            await db.Database.ExecuteSqlAsync($"""
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {messages})
                INSERT INTO ChatMessages (OrganisationId, ClassId, SenderMemberId, Body, SentAt, PurgeAfter, RetainedPermanently)
                SELECT {org.Id}, {c.Id}, {member.Id}, 'message ' || i, {now.AddDays(-60).UtcTicks},
                       {now.AddDays(-1).UtcTicks} - (i % 86400) * {TimeSpan.TicksPerSecond}, 0 FROM n
                """);
            if (receiptsPerMessage > 0)
            {
                var readers = Enumerable.Range(0, receiptsPerMessage).Select(i => new Member(org.Id, $"Reader {i}", $"R{i}")).ToList();
                db.Members.AddRange(readers);
                await db.SaveChangesAsync();
                foreach (var reader in readers)
                    await db.Database.ExecuteSqlAsync($"""
                        INSERT INTO MessageReceipts (OrganisationId, MessageId, ClassId, MemberId, ReadAt)
                        SELECT {org.Id}, Id, {c.Id}, {reader.Id}, {now.AddDays(-59).UtcTicks} FROM ChatMessages
                        """);
            }
        }
        SqliteConnection.ClearAllPools();
        Console.WriteLine($"Seeded {messages:N0} expired messages ({receiptsPerMessage} receipts each) in {seed.Elapsed.TotalSeconds:0.0} s");

        var totals = new List<double>();
        var longest = new List<double>();
        var holds = new List<double>();
        for (var r = 0; r < runs; r++)
        {
            var file = Path.Combine(dir.FullName, $"purge-{r}.db");
            File.Copy(template, file, overwrite: true);
            await using (var db = new PortalDbContext(Options(file, app)))
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
            var logger = new BatchHolds();
            var job = new RetentionPurgeJob(new SimpleFactory(Options(file, app)), TimeProvider.System, Microsoft.Extensions.Options.Options.Create(new RetentionOptions()), logger,
                new ClassExit.Portal.Features.Notifications.PortalEvents([]));
            var sw = Stopwatch.StartNew();
            var run = await job.RunForOrganisationAsync(orgId, "benchmark", CancellationToken.None);
            sw.Stop();
            if (run.MessagesPurged != messages) throw new InvalidOperationException($"purged {run.MessagesPurged:N0} of {messages:N0}");
            totals.Add(sw.Elapsed.TotalMilliseconds);
            longest.Add(logger.Holds.Max());
            holds.AddRange(logger.Holds);
            Console.WriteLine($"purge run {r + 1}: {run.MessagesPurged:N0} messages, {run.ReceiptsPurged:N0} receipts in {sw.Elapsed.TotalSeconds:0.0} s = " +
                $"{run.MessagesPurged / sw.Elapsed.TotalMinutes:N0} rows/min; {run.Batches} batches (median {Stats.Median(logger.Sizes):0} messages), " +
                $"write lock held median {Stats.Median(logger.Holds):0.0} ms, longest {logger.Holds.Max():0.0} ms " +
                $"(slowest batches: {string.Join(", ", logger.Holds.Select((h, i) => (h, i)).OrderByDescending(x => x.h).Take(5).Select(x => $"#{x.i + 1} {x.h:0} ms"))})");
            SqliteConnection.ClearAllPools();
            File.Delete(file);
        }
        var perMinute = messages / (Stats.Median(totals) / 60_000);
        Console.WriteLine($"purge: {perMinute:N0} rows/min (median of {runs} runs of {messages:N0} messages)");
        // Time for the whole run: the goal of 1,000,000 rows/min is this many milliseconds for these messages.
        var budget = messages * 60_000.0 / 1_000_000;
        Print($"purge-{messages}-rows", totals, $"<={budget:0}ms(>=1000000rows/min)", Stats.P95(totals) <= budget);
        Print("purge-longest-write-lock", longest, "<=200ms", Stats.P95(longest) <= 200);
        Print("purge-batch-write-lock", holds, "p95<=200ms", Stats.P95(holds) <= 200);
        SqliteConnection.ClearAllPools();
        dir.Delete(recursive: true);
    }

    /// <summary>A figure line of the purge mode, in the one form every mode prints (<see cref="ClassExit.Portal.Benchmarks.Figure.Line"/>).</summary>
    private static void Print(string name, List<double> samples, string goal, bool pass) =>
        Console.WriteLine(new Figure(name, Stats.Median(samples), Stats.P95(samples), null, goal, pass).Line);

    private static DbContextOptions<PortalDbContext> Options(string file, IServiceProvider app) =>
        new DbContextOptionsBuilder<PortalDbContext>().UsePortalProvider(DatabaseProvider.Sqlite, $"Data Source={file}").UseApplicationServiceProvider(app).Options;

    /// <summary>Collects the job's per-batch log line: the write-lock hold and the batch size.</summary>
    private sealed class BatchHolds : Microsoft.Extensions.Logging.ILogger<RetentionPurgeJob>
    {
        public List<double> Holds { get; } = [];
        public List<double> Sizes { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id != RetentionPurgeJob.BatchCommittedEvent.Id || state is not IReadOnlyList<KeyValuePair<string, object?>> values) return;
            Holds.Add(Convert.ToDouble(values.Single(v => v.Key == "HeldMs").Value));
            Sizes.Add(Convert.ToDouble(values.Single(v => v.Key == "Messages").Value));
        }
    }

    private sealed class SimpleFactory(DbContextOptions<PortalDbContext> options) : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => new(options);
    }
}
