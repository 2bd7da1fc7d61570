using System.Diagnostics;
using System.Globalization;
using System.Security.Claims;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.BulkExits;
using ClassExit.Portal.Features.Classes;
using ClassExit.Portal.Features.Dashboard;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Features.Organisation;
using ClassExit.Portal.Features.Ownership;
using ClassExit.Portal.Features.Retention;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using ClassExit.Portal.TestSupport;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ClassExit.Portal.Benchmarks;

/// <summary>
/// issue 16's figures on the scale database, through the real services (as the pages and endpoints call them), each beside the very
/// statements the service ran, replayed in raw SQL on one connection to the same file, alternately.
/// </summary>
internal sealed class ScaleBenchmark(ScaleSize size, string work, Report report, bool smoke, IReadOnlyList<string> only)
{
    /// <summary>Whether a figure is measured in this run (<c>--only a,b</c>: figures whose name starts with one of them).</summary>
    private bool Wanted(string name) => only.Count == 0 || only.Any(o => name.StartsWith(o, StringComparison.Ordinal));

    private readonly SqlCapture _capture = new();
    private readonly System.Text.StringBuilder _statements = new();
    private readonly List<ServiceProvider> _providers = [];
    private SqliteConnection _raw = null!;

    public static async Task RunAsync(bool smoke, string? repositoryRoot, IReadOnlyList<string> only)
    {
        var total = Stopwatch.StartNew();
        var size = smoke ? ScaleSize.Smoke : ScaleSize.Full;
        var cacheDir = Environment.GetEnvironmentVariable("CLASSEXIT_BENCH_CACHE")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "classexit-bench");
        var (pristine, built, buildTime, sealTime) = await ScaleDatabase.EnsureAsync(size, cacheDir);
        if (!built) Console.WriteLine($"Reusing {pristine}");
        // Every run works on a fresh copy: the purge, bulk exits and sealing change data.
        var work = Path.Combine(cacheDir, $"work-{size.Name}-{Environment.ProcessId}.db");
        foreach (var f in new[] { work, work + "-wal", work + "-shm" }) File.Delete(f);
        File.Copy(pristine, work);
        // As the portal does at start (and daily): the planner's statistics for the data that is there.
        await ScaleDatabase.RefreshStatisticsAsync(work);

        var report = new Report(smoke ? "scale-smoke" : "scale");
        if (built) report.Note($"Built the {size.Name} database in {buildTime.TotalSeconds:0} s, of which sealing the audit chain in C# (one AuditMac.Compute per entry) took {sealTime.TotalSeconds:0} s.");
        var bench = new ScaleBenchmark(size, work, report, smoke, only);
        try
        {
            await bench.MeasureAsync();
        }
        finally
        {
            await bench.DisposeAsync();
            SqliteConnection.ClearAllPools();
            foreach (var f in new[] { work, work + "-wal", work + "-shm" }) File.Delete(f);
        }
        if (bench.Wanted("sync_check")) await SyncCheckBenchmark.RunAsync(devices: smoke ? 2_000 : 100_000, report);
        Console.WriteLine($"{report.Figures.Count(f => f.Pass)} of {report.Figures.Count} figures pass; scale benchmark took {total.Elapsed.TotalMinutes:0.0} min.");
        if (!smoke && only.Count == 0 && repositoryRoot is not null)
            report.WriteDocs(repositoryRoot, "Scale (`-- scale`)",
                "A SQLite file of ≥ 1,000,000 memberships, ≥ 5,000,000 sealed audit entries, ≥ 20,000 pending exit requests and ≥ 2,000,000 chat messages " +
                "(≥ 1,000,000 due for purge), built by set-based SQL after the app's own migrations; every figure through the real services " +
                "(Release build), with warm-up, beside the same statements in raw SQL on the same file, alternately.");
    }

    private ServiceProvider Services(ICurrentUser user)
    {
        var sp = ServicesOnDatabase.Create(work, user, TimeProvider.System, ScaleDatabase.AuditSettings, o => o.AddInterceptors(_capture), pooling: true);
        _providers.Add(sp);
        return sp;
    }

    private async ValueTask DisposeAsync()
    {
        foreach (var sp in _providers) await sp.DisposeAsync();
        if (_raw is not null) await _raw.DisposeAsync();
    }

    private int Iterations(double firstMs) => smoke ? 1 : firstMs > 3000 ? 3 : firstMs > 500 ? 7 : 21;

    /// <summary>Captures the statements of one call, warms up, then alternates service call and raw replay.</summary>
    private async Task<(List<double> Service, List<double>? Raw, List<CapturedCommand> Commands)> MeasureAsync(Func<Task> call, bool raw = true)
    {
        var commands = SqlCapture.Begin();
        var first = Stopwatch.StartNew();
        try { await call(); }
        finally { SqlCapture.End(); }
        first.Stop();
        var n = Iterations(first.Elapsed.TotalMilliseconds);
        var warmups = smoke ? 0 : n >= 21 ? 2 : 1;
        var service = new List<double>();
        var rawTimes = raw ? new List<double>() : null;
        for (var i = 0; i < warmups + n; i++)
        {
            var sw = Stopwatch.StartNew();
            await call();
            var s = sw.Elapsed.TotalMilliseconds;
            double? r = null;
            if (raw)
            {
                sw.Restart();
                await SqlCapture.ReplayAsync(_raw, commands);
                r = sw.Elapsed.TotalMilliseconds;
            }
            if (i < warmups) continue;
            service.Add(s);
            if (r is { } x) rawTimes!.Add(x);
        }
        return (service, rawTimes, commands);
    }

    /// <summary>Keeps a figure's statements for <c>statements-&lt;size&gt;.sql</c> (sqlite3's <c>.parameter set</c> lines, then the SQL).</summary>
    private void Keep(string name, IReadOnlyList<CapturedCommand> commands)
    {
        _statements.AppendLine($"-- figure {name}");
        foreach (var c in commands)
        {
            _statements.AppendLine(".parameter clear");
            foreach (var (p, value, _) in c.Parameters)
                _statements.AppendLine($".parameter set {p} {(value is string text ? "\"'" + text.Replace("'", "''") + "'\"" : value is bool b ? (b ? "1" : "0") : value is null ? "NULL" : Convert.ToString(value, CultureInfo.InvariantCulture))}");
            _statements.AppendLine(c.Text.TrimEnd().TrimEnd(';') + ";");
        }
        _statements.AppendLine();
    }

    private async Task ReadFigureAsync(string name, Func<Task> call, double goalMs, string note = "")
    {
        if (!Wanted(name)) return;
        var (service, raw, commands) = await MeasureAsync(call);
        Keep(name, commands);
        report.Add(Figure.P95(name, service, raw, goalMs, Join(note, $"{service.Count} samples, {commands.Count} statements")));
    }

    private static string Join(string a, string b) => a.Length == 0 ? b : $"{a}; {b}";

    private async Task MeasureAsync()
    {
        _raw = new SqliteConnection($"Data Source={work}");
        await _raw.OpenAsync();
        var schoolId = await ScaleDatabase.ScalarAsync(_raw, "SELECT Id FROM Organisations WHERE Name = 'Demo School'");
        var financeId = await ScaleDatabase.ScalarAsync(_raw, "SELECT Id FROM Organisations WHERE Name = 'Demo Finance'");
        var memberships = await Count("Memberships");
        var members = await Count("Members");
        var classCount = await Count("Classes");
        var orgCount = await Count("Organisations");
        var sealedCount = await ScaleDatabase.ScalarAsync(_raw, "SELECT count(*) FROM AuditEntries WHERE Hash IS NOT NULL");
        var pendingCount = await ScaleDatabase.ScalarAsync(_raw, "SELECT count(*) FROM ExitRequests WHERE Status = 0");
        var messages = await Count("ChatMessages");
        var dueCount = await ScaleDatabase.ScalarAsync(_raw, $"SELECT count(*) FROM ChatMessages WHERE OrganisationId = {schoolId} AND PurgeAfter < {DateTimeOffset.UtcNow.UtcTicks}");
        report.Note(string.Create(CultureInfo.InvariantCulture,
            $"Data: {memberships:N0} memberships, {members:N0} members, {classCount:N0} classes in {orgCount} organisations, {sealedCount:N0} sealed audit entries, " +
            $"{pendingCount:N0} pending exit requests, {messages:N0} chat messages ({dueCount:N0} due), file {new FileInfo(work).Length / 1_048_576.0:N0} MB."));

        var financeAdmin = Services(await ServicesOnDatabase.AccountAsync(work, "admin@finance.demo")).CreateScope().ServiceProvider;
        var schoolAdmin = Services(await ServicesOnDatabase.AccountAsync(work, "admin@school.demo")).CreateScope().ServiceProvider;
        var auditor = Services(await ServicesOnDatabase.AccountAsync(work, "auditor@school.demo")).CreateScope().ServiceProvider;
        var schoolKey = Services(await ApiKeyAsync(schoolId)).CreateScope().ServiceProvider;

        // Approval queue (Demo Finance requires approval): first page and a later one, as the grid asks (25 rows, oldest first).
        var queue = financeAdmin.GetRequiredService<ExitQueries>();
        var pending = new ExitRequestFilter(Status: ExitRequestStatus.PendingApproval);
        await ReadFigureAsync("approval_queue_first_page", () => queue.SearchAsync(pending, new PageRequest(1, 25)), 50);
        var laterPage = smoke ? 2 : 200;
        await ReadFigureAsync($"approval_queue_page_{laterPage}", () => queue.SearchAsync(pending, new PageRequest(laterPage, 25)), 50);

        // The exit request page: the service calls its LoadAsync makes (once; prerender would double it).
        var requestId = await ScaleDatabase.ScalarAsync(_raw, $"SELECT Id FROM ExitRequests WHERE OrganisationId = {financeId} AND Status = 0 ORDER BY Id LIMIT 1 OFFSET (SELECT count(*) / 2 FROM ExitRequests WHERE OrganisationId = {financeId} AND Status = 0)");
        var organisations = financeAdmin.GetRequiredService<OrganisationService>();
        var authz = financeAdmin.GetRequiredService<PortalAuthorizer>();
        var exits = financeAdmin.GetRequiredService<ExitService>();
        await ReadFigureAsync("exit_request_page", async () =>
        {
            await organisations.GetCurrentAsync();
            var detail = await queue.GetDetailAsync(requestId) ?? throw new InvalidOperationException($"exit request {requestId} not found");
            _ = (await queue.GetAsync(requestId))!.Value.Version;
            await authz.DecisionBlockerAsync(requestId);
            await exits.PreviewAsync(detail.Request.ClassId, detail.Request.MemberId, forRequestId: requestId);
        }, 50, "GetCurrentAsync, GetDetailAsync, GetAsync, DecisionBlockerAsync, PreviewAsync: one load, server side");

        // Audit (the school's auditor): first page and the four searches.
        var audit = auditor.GetRequiredService<AuditSearchService>();
        var member = await ScaleDatabase.ScalarAsync(_raw, $"SELECT MemberId FROM AuditEntries WHERE OrganisationId = {schoolId} AND MemberId IS NOT NULL ORDER BY Id LIMIT 1 OFFSET 1000");
        var auditClass = await ScaleDatabase.ScalarAsync(_raw, $"SELECT ClassId FROM AuditEntries WHERE OrganisationId = {schoolId} AND ClassId IS NOT NULL ORDER BY Id LIMIT 1 OFFSET 1000");
        var day = DateOnly.FromDateTime(DateTime.UtcNow.AddHours(8).AddDays(smoke ? 0 : -100));
        var auditorMember = await ScaleDatabase.ScalarAsync(_raw, "SELECT Id FROM Members WHERE Email = 'auditor@school.demo'");
        await ReadFigureAsync("audit_first_page", () => audit.SearchAsync(new AuditFilter()), 50);
        await ReadFigureAsync("audit_search_rare_actor", () => audit.SearchAsync(new AuditFilter(ActorMemberId: auditorMember)), 50, "25 entries of one actor (picked from the list) among millions");
        await ReadFigureAsync("audit_search_member", () => audit.SearchAsync(new AuditFilter(MemberId: member)), 50);
        await ReadFigureAsync("audit_search_class", () => audit.SearchAsync(new AuditFilter(ClassId: auditClass)), 50);
        await ReadFigureAsync("audit_search_one_day", () => audit.SearchAsync(new AuditFilter(From: day, To: day)), 50);

        // Dashboard and class pages (the school's admin).
        // The page reads the figures shared by every circuit (recomputed once per organisation every 30 s); the recomputation itself
        // is its own figure.
        await ReadFigureAsync("dashboard", () => schoolAdmin.GetRequiredService<DashboardService>().GetSharedAsync(), 50,
            "the page: figures shared by every circuit");
        await ReadFigureAsync("dashboard_recompute", () => schoolAdmin.GetRequiredService<DashboardService>().GetAsync(), 1000,
            "once per organisation every 30 s, in the background");
        var classes = schoolAdmin.GetRequiredService<ClassesService>();
        var classId = await ScaleDatabase.ScalarAsync(_raw, $"SELECT Id FROM Classes WHERE OrganisationId = {schoolId} AND Status = 0 ORDER BY Id LIMIT 1 OFFSET {size.SchoolClasses / 2}");
        var schoolAuthz = schoolAdmin.GetRequiredService<PortalAuthorizer>();
        var ownership = schoolAdmin.GetRequiredService<OwnershipService>();
        var schoolOrgs = schoolAdmin.GetRequiredService<OrganisationService>();
        await ReadFigureAsync("class_page", async () =>
        {
            await schoolAuthz.ForClassAsync(classId);
            await ownership.HistoryAsync(classId);
            await schoolOrgs.GetCurrentAsync();
            _ = await classes.GetDetailAsync(classId) ?? throw new InvalidOperationException($"class {classId} not found");
            await classes.GetMembersAsync(classId, new PageRequest(1, 25));
        }, 50, "ForClassAsync, HistoryAsync, GetCurrentAsync, GetDetailAsync, GetMembersAsync (first 25)");
        foreach (var sort in new[] { "Name", "OwnerName", "MemberCount", "TermEndsOn" })
            await ReadFigureAsync($"classes_grid_sort_{sort}", () => classes.SearchAsync(null, new PageRequest(1, 25, sort)), 50);

        // REST lists, through the endpoints' services as the school's HR key (api.md default page size 50).
        var keyClasses = schoolKey.GetRequiredService<ClassesService>();
        await RatioFigureAsync("rest_list_classes", () => keyClasses.SearchAsync(null, new PageRequest(1, 50)));
        await RatioFigureAsync("rest_list_class_members", async () => _ = await keyClasses.GetMembersAsync(classId, new PageRequest(1, 50))
            ?? throw new InvalidOperationException("class members not found"));

        if (Wanted("bulk_exit")) await BulkExitsAsync(schoolId, schoolKey);
        if (Wanted("purge")) await PurgeAsync(schoolId, schoolAdmin);
        if (Wanted("audit_append") || Wanted("audit_verify")) await SealAndVerifyAsync(schoolId, schoolAdmin);
        var statements = Path.Combine(Path.GetDirectoryName(work)!, $"statements-{size.Name}.sql");
        await File.WriteAllTextAsync(statements, _statements.ToString());
        Console.WriteLine($"The statements of every figure: {statements}");
    }

    private async Task RatioFigureAsync(string name, Func<Task> call)
    {
        if (!Wanted(name)) return;
        var (service, raw, commands) = await MeasureAsync(call);
        Keep(name, commands);
        report.Add(Figure.Ratio_(name, service, raw!, 1.5, $"{service.Count} samples, {commands.Count} statements"));
    }

    private Task<long> Count(string table) => ScaleDatabase.ScalarAsync(_raw, $"SELECT count(*) FROM \"{table}\"");

    /// <summary>The principal the API-key handler gives the organisation's HR key.</summary>
    private async Task<ICurrentUser> ApiKeyAsync(long organisationId)
    {
        await using var cmd = _raw.CreateCommand();
        cmd.CommandText = $"SELECT Id, OwnerMemberId, Name, Scopes FROM ApiKeys WHERE OrganisationId = {organisationId} ORDER BY Id LIMIT 1";
        await using var r = await cmd.ExecuteReaderAsync();
        if (!await r.ReadAsync()) throw new InvalidOperationException("the school has no API key");
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, $"apikey:{r.GetInt64(0)}"),
            new Claim(PortalClaims.ApiKeyId, r.GetInt64(0).ToString(CultureInfo.InvariantCulture)),
            new Claim(PortalClaims.OrganisationId, organisationId.ToString(CultureInfo.InvariantCulture)),
            new Claim(PortalClaims.MemberId, r.GetInt64(1).ToString(CultureInfo.InvariantCulture)),
            new Claim(PortalClaims.DisplayName, $"API key {r.GetString(2)}"),
            new Claim(PortalClaims.ApiScopes, r.GetString(3)),
        ], "ApiKey");
        return ServicesOnDatabase.From(new ClaimsPrincipal(identity));
    }

    /// <summary>Bulk exit of BulkMembers members from each of BulkClasses classes: dry runs, then real ones (each on a fresh cohort).</summary>
    private async Task BulkExitsAsync(long schoolId, IServiceProvider key)
    {
        var batch = key.GetRequiredService<BatchExitService>();
        var operatorId = await ScaleDatabase.ScalarAsync(_raw, $"SELECT OwnerMemberId FROM ApiKeys WHERE OrganisationId = {schoolId} ORDER BY Id LIMIT 1");
        var reason = (await ScaleDatabase.ListAsync(_raw, $"SELECT Code FROM ReasonCodes WHERE OrganisationId = {schoolId} AND Active = 1 ORDER BY Code LIMIT 1")).Single();
        var classIds = (await ScaleDatabase.ListAsync(_raw, $"SELECT CAST(Id AS TEXT) FROM Classes WHERE OrganisationId = {schoolId} AND OwnerMemberId IN (SELECT Id FROM Members WHERE EmployeeNo LIKE 'B%') ORDER BY Id LIMIT {size.BulkClasses}"))
            .Select(long.Parse).ToList();
        var cohort = (await ScaleDatabase.ListAsync(_raw, $"SELECT CAST(Id AS TEXT) FROM Members WHERE OrganisationId = {schoolId} AND DisplayName LIKE '批量 %' ORDER BY Id"))
            .Select(long.Parse).Chunk(size.BulkMembers).ToList();
        BatchRequest Request(long[] members, bool dry) => new(operatorId, classIds, members, reason, false, dry);
        string Summary(BatchOutcome o) => o.Response is null ? $"refused {o.Code} {o.Detail}"
            : string.Join(", ", o.Response.Results.GroupBy(r => (r.Status, r.Code)).Select(g => $"{g.Count()} {g.Key.Status}{(g.Key.Code is { } c ? $" ({c})" : "")}"));

        // Dry: the last cohort, never really exited.
        var dryCohort = cohort[^1];
        var dryOutcome = await batch.RunAsync(Request(dryCohort, true), null);
        var (dry, _, dryCommands) = await MeasureAsync(() => batch.RunAsync(Request(dryCohort, true), null), raw: false);
        Keep("bulk_exit_dry", dryCommands);
        report.Add(Figure.P95($"bulk_exit_{size.BulkClasses}x{size.BulkMembers}_dry", dry, null, 1000,
            $"{dry.Count} samples, {dryCommands.Count} statements per run; {Summary(dryOutcome)}"));

        // Real: one cohort per run (the first as warm-up outside smoke), with the concurrent writer watching the write lock.
        var real = new List<double>();
        var statements = new List<long>();
        var summaries = new List<string>();
        double longestLock = 0;
        await using (var probe = await WriteLockProbe.StartAsync(work))
        {
            for (var g = 0; g < cohort.Count - 1; g++)
            {
                var before = Interlocked.Read(ref SqlCapture.Executed);
                probe.Reset();
                var sw = Stopwatch.StartNew();
                var outcome = await batch.RunAsync(Request(cohort[g], false), $"bench-{Guid.NewGuid():N}");
                sw.Stop();
                if (g == 0 && !smoke) continue;
                real.Add(sw.Elapsed.TotalMilliseconds);
                statements.Add(Interlocked.Read(ref SqlCapture.Executed) - before);
                summaries.Add(Summary(outcome));
                longestLock = Math.Max(longestLock, probe.Snapshot().Longest);
            }
        }
        report.Add(Figure.P95($"bulk_exit_{size.BulkClasses}x{size.BulkMembers}_real", real, null, 1000,
            string.Create(CultureInfo.InvariantCulture, $"{real.Count} samples (a fresh cohort each), {statements.Average():N0} statements per run, max {real.Max():N0} ms; " +
                $"a concurrent writer waited up to {longestLock:N0} ms; {summaries.Last()}")));
    }

    /// <summary>The retention purge of the school's due messages through the real job, with the concurrent writer watching the write lock.</summary>
    private async Task PurgeAsync(long schoolId, IServiceProvider services)
    {
        var job = services.GetRequiredService<RetentionPurgeJob>();
        var due = await ScaleDatabase.ScalarAsync(_raw, $"SELECT count(*) FROM ChatMessages WHERE OrganisationId = {schoolId} AND PurgeAfter < {DateTimeOffset.UtcNow.UtcTicks} AND RetainedPermanently = 0");
        await using var probe = await WriteLockProbe.StartAsync(work);
        probe.Reset();
        var sw = Stopwatch.StartNew();
        var run = await job.RunForOrganisationAsync(schoolId, "benchmark", CancellationToken.None);
        sw.Stop();
        var (longest, samples) = probe.Snapshot();
        foreach (var f in PurgeBenchmark.Figures(run.MessagesPurged, sw.Elapsed, longest, samples, run.Batches, run.LongestBatchMilliseconds, due))
            report.Add(f);
    }

    /// <summary>
    /// A seal pass in steady state (a hundred new entries on top of millions sealed), with the concurrent writer watching the write lock;
    /// then verification of every organisation's chain (the hourly job), beside the replay of its statements.
    /// </summary>
    private async Task SealAndVerifyAsync(long schoolId, IServiceProvider services)
    {
        var chain = services.GetRequiredService<AuditChainService>();
        var factory = services.GetRequiredService<IDbContextFactory<ClassExit.Portal.Data.PortalDbContext>>();
        var passes = new List<double>();
        var longest = new List<double>();
        await using (var probe = await WriteLockProbe.StartAsync(work))
        {
            for (var i = 0; i < (smoke ? 1 : 5); i++)
            {
                // A hundred new entries as a change writes them (AuditLog.Add + SaveChanges): sealed by that transaction on top of
                // millions sealed, with the concurrent writer watching the write lock.
                probe.Reset();
                var sw = Stopwatch.StartNew();
                await using (var db = (await factory.CreateDbContextAsync()).ForSystem())
                {
                    for (var n = 0; n < 100; n++)
                        AuditLog.Add(db, schoolId, AuditActor.System("benchmark"), DateTimeOffset.UtcNow, "benchmark.append");
                    await db.SaveChangesAsync();
                }
                sw.Stop();
                passes.Add(sw.Elapsed.TotalMilliseconds);
                longest.Add(probe.Snapshot().Longest);
            }
        }
        var worst = longest.Max();
        report.Add(new Figure("audit_append_100", Stats.Median(passes), Stats.P95(passes), null,
            string.Create(CultureInfo.InvariantCulture, $"blocks_writers<=50ms(longest_wait={worst:0}ms)"), worst <= 50,
            $"{passes.Count} saves of 100 new entries sealed in their own transaction; a concurrent writer's longest wait per pass: {string.Join(", ", longest.Select(l => l.ToString("0", CultureInfo.InvariantCulture)))} ms"));

        var orgs = (await ScaleDatabase.ListAsync(_raw, "SELECT CAST(OrganisationId AS TEXT) FROM AuditChainHeads ORDER BY OrganisationId")).Select(long.Parse).ToList();
        var total = long.Parse((await ScaleDatabase.ListAsync(_raw, "SELECT CAST(COUNT(*) AS TEXT) FROM AuditEntries"))[0], CultureInfo.InvariantCulture);

        // The full sweep (the job's first run, and what the rolling sweep adds up to over a cycle): informational.
        var (fullMs, fullChecked, fullBroken, _) = await VerifyRunAsync(() => chain.RunFullVerificationAsync(CancellationToken.None));
        report.Add(new Figure("audit_verify_full_sweep", fullMs, fullMs, null, "informational(every_chain_intact)", fullBroken.Count == 0,
            $"1 run of RunFullVerificationAsync (the job's first run; on demand): one pass in id order over {orgs.Count} chains, {fullChecked:N0} entries" +
            (fullBroken.Count == 0 ? "; every chain intact" : "; BROKEN: " + string.Join("; ", fullBroken))));

        // Steady state: the hourly job after an hour's new entries (1,000 across the school's chain), from the stored positions,
        // with its slice of the rolling sweep (1/SweepRuns of each chain).
        var hourly = new List<double>();
        var raw = new List<double>();
        long hourlyChecked = 0;
        var hourlyBroken = new List<string>();
        var statements = 0;
        for (var run = 0; run < (smoke ? 1 : 5); run++)
        {
            await using (var db = (await factory.CreateDbContextAsync()).ForSystem())
            {
                for (var n = 0; n < 1000; n++)
                    AuditLog.Add(db, schoolId, AuditActor.System("benchmark"), DateTimeOffset.UtcNow, "benchmark.append");
                await db.SaveChangesAsync();
            }
            var (ms, checkedEntries, broken, commands) = await VerifyRunAsync(() => chain.RunVerificationAsync(CancellationToken.None));
            hourly.Add(ms);
            hourlyChecked = checkedEntries;
            hourlyBroken.AddRange(broken);
            statements = commands.Count;
            if (run == 0) Keep("audit_verify_hourly", commands);
            var rawSw = Stopwatch.StartNew();
            await SqlCapture.ReplayAsync(_raw, commands);
            raw.Add(rawSw.Elapsed.TotalMilliseconds);
        }
        report.Add(new Figure("audit_verify_hourly", Stats.Median(hourly), Stats.P95(hourly), Stats.P95(raw),
            string.Create(CultureInfo.InvariantCulture, $"p95<=10000ms_for_5M_entries(entries={total})"), hourlyBroken.Count == 0 && Stats.P95(hourly) <= 10_000,
            $"{hourly.Count} runs of the hourly job (RunVerificationAsync, incremental) after 1,000 new entries each, {orgs.Count} chains, {hourlyChecked:N0} entries walked in the last run (new ones and its sweep slice), {statements} statements" +
            (hourlyBroken.Count == 0 ? "; every chain intact" : "; BROKEN: " + string.Join("; ", hourlyBroken))));
    }

    private static async Task<(double Ms, long Checked, List<string> Broken, List<CapturedCommand> Commands)> VerifyRunAsync(
        Func<Task<IReadOnlyList<ClassExit.Portal.Domain.Audit.ChainVerification>>> run)
    {
        var commands = SqlCapture.Begin();
        long checkedEntries = 0;
        var broken = new List<string>();
        var sw = Stopwatch.StartNew();
        try
        {
            foreach (var result in await run())
            {
                checkedEntries += result.EntriesChecked;
                if (!result.Intact) broken.Add($"organisation {result.OrganisationId}: {result.Break} at {result.EntryId} ({result.Detail})");
            }
        }
        finally { SqlCapture.End(); }
        sw.Stop();
        return (sw.Elapsed.TotalMilliseconds, checkedEntries, broken, commands);
    }
}
