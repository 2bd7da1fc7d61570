using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hangfire.Storage.SQLite;
using Microsoft.Data.Sqlite;

namespace ClassExit.Portal.BrowserTests.MultiInstance;

/// <summary>
/// Issue 19: two portal processes (Kestrel, their own ports) on ONE SQLite file and ONE Hangfire job storage (the SQLite job file),
/// as two instances behind a load balancer. One test, in phases, so that the two processes start once: the key ring and the sessions
/// are shared (a cookie and an antiforgery token of one are accepted by the other), the quota holds across both under 600
/// concurrent calls, a recurring job fires once per schedule, and a purge killed with its process is finished by the other instance
/// without losing or counting anything twice.
/// </summary>
[Collection(PortalProcesses.Name)]
public sealed partial class MultiInstanceTests : IAsyncLifetime
{
    private const string Password = "Demo#2026!";
    private const string SchoolKey = "demo-school-hr-key";
    private readonly string _directory = Directory.CreateTempSubdirectory("classexit-multi-").FullName;
    private PortalInstance _a = null!;
    private PortalInstance _b = null!;

    private string DatabasePath => Path.Combine(_directory, "portal.db");
    private string JobsPath => Path.Combine(_directory, "portal.jobs.db");

    private Dictionary<string, string> Settings() => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["ConnectionStrings__Sqlite"] = $"Data Source={DatabasePath}",
        ["Demo__Enabled"] = "true",
        // The one job storage both share, with short polls so that the test need not wait Hangfire's default 15 s.
        ["Jobs__Storage"] = "Sqlite",
        ["Jobs__SqliteFile"] = JobsPath,
        ["Jobs__SchedulePollingSeconds"] = "1",
        ["Jobs__QueuePollSeconds"] = "1",
        ["Jobs__SqliteLockLifetimeSeconds"] = "5",
        ["Jobs__WorkerCount"] = "2",
        // The purge every 10 seconds, in small batches, so that a run lasts long enough to be killed midway.
        ["Retention__PurgeCron"] = "*/10 * * * * *",
        ["Retention__BatchSize"] = "100",
        ["Retention__TargetBatchMilliseconds"] = "10",
        ["Logging__LogLevel__ClassExit.Portal.Features.Retention"] = "Debug",
        ["DeviceSync__SimulatorEnabled"] = "false",
        // Shared by every instance, as docs/deploy.md says (the audit key ring and checkpoint file live on a shared volume).
        ["Audit__KeyDirectory"] = Path.Combine(_directory, "audit-keys"),
        ["Audit__CheckpointFile"] = Path.Combine(_directory, "audit-checkpoints.jsonl"),
        ["Sessions__SignInPerAccountLimit"] = "100000",
        ["Sessions__SignInPerIpLimit"] = "100000",
        ["RateLimits__ConcurrentBatchesPerOrganisation"] = "1000",
        ["RateLimits__BatchQueueLimit"] = "1000",
    };

    public async Task InitializeAsync()
    {
        // A migrates and seeds (demo mode); B starts on the migrated file (demo data already there: it seeds nothing).
        // Deadlines, not waits: a start takes 5-15 s on an idle machine, much longer on a loaded one (migrating and seeding).
        _a = PortalInstance.Start("A", Settings());
        await _a.WaitHealthyAsync(TimeSpan.FromSeconds(240));
        _b = PortalInstance.Start("B", Settings());
        await _b.WaitHealthyAsync(TimeSpan.FromSeconds(240));
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a process that is going away: the temp directory is cleaned by the OS.
        }
    }

    [Fact]
    public async Task TwoInstances_ShareKeysSessionsQuotaAndJobs()
    {
        await CookieAndAntiforgeryTokenOfOneInstance_AreAcceptedByTheOther();
        await ConcurrentBulkCallsOnBothInstances_SucceedExactlyAsOftenAsTheQuotaAllows();
        await RecurringPurge_FiresOncePerSchedule_AcrossBothInstances();
        await PurgeKilledWithItsInstance_IsFinishedByTheOther_LosingAndDuplicatingNothing();
    }

    // ---- 1. Data Protection key ring and sessions in the shared database ----

    private async Task CookieAndAntiforgeryTokenOfOneInstance_AreAcceptedByTheOther()
    {
        // Sign in on A (its form, its antiforgery token); the session cookie then works on B.
        var onA = await SignInAsync(formFrom: _a, postTo: _a, "teacher@school.demo");
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(onA, _a, "/Account/Manage")).StatusCode);
        var manageOnB = await GetAsync(onA, _b, "/Account/Manage");
        Assert.Equal(HttpStatusCode.OK, manageOnB.StatusCode);
        Assert.Contains("teacher@school.demo", await manageOnB.Content.ReadAsStringAsync());

        // The antiforgery-protected sign-in form of A, posted to B: B must accept A's antiforgery token (same key ring).
        var crossed = await SignInAsync(formFrom: _a, postTo: _b, "teacher2@school.demo");
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(crossed, _a, "/Account/Manage")).StatusCode);

        // A control that can fail: without the session cookie B sends the caller to sign in.
        var anonymous = new CookieContainer();
        var refused = await GetAsync(anonymous, _b, "/Account/Manage");
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.Contains("/Account/Login", refused.Headers.Location!.ToString());
    }

    private static async Task<CookieContainer> SignInAsync(PortalInstance formFrom, PortalInstance postTo, string email)
    {
        var cookies = new CookieContainer();
        var form = await (await GetAsync(cookies, formFrom, "/Account/Login")).Content.ReadAsStringAsync();
        var token = AntiforgeryField().Match(form);
        Assert.True(token.Success, "no antiforgery token in the sign-in form");
        using var http = Client(cookies);
        var response = await http.PostAsync(postTo.BaseUrl + "/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
            ["_handler"] = "login",
            ["Input.Email"] = email,
            ["Input.Password"] = Password,
        }));
        // A refused antiforgery token is a 400; a refused password renders the form again (200): only a redirect is a sign-in.
        Assert.True(response.StatusCode == HttpStatusCode.Redirect,
            $"sign-in of {email} on {postTo.Name} with {formFrom.Name}'s form: {(int)response.StatusCode}\n{postTo.Output(30)}");
        Assert.Contains(cookies.GetAllCookies(), c => c.Name == "classexit.auth");
        return cookies;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    private static HttpClient Client(CookieContainer cookies) =>
        new(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(60) };

    private static async Task<HttpResponseMessage> GetAsync(CookieContainer cookies, PortalInstance on, string path)
    {
        using var http = Client(cookies);
        return await http.GetAsync(on.BaseUrl + path);
    }

    // ---- 2. The daily quota is one counter in the shared database ----

    private async Task ConcurrentBulkCallsOnBothInstances_SucceedExactlyAsOftenAsTheQuotaAllows()
    {
        using var api = new HttpClient { Timeout = TimeSpan.FromSeconds(120) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SchoolKey);
        var me = await api.GetFromJsonAsync<JsonElement>(_a.BaseUrl + "/api/v1/me");
        var reason = (await api.GetFromJsonAsync<JsonElement>(_a.BaseUrl + "/api/v1/reason-codes")).GetProperty("items")[0].GetProperty("code").GetString();
        var classes = await api.GetFromJsonAsync<JsonElement>(_a.BaseUrl + "/api/v1/classes?page_size=5");
        var classId = classes.GetProperty("items")[0].GetProperty("class_id").GetInt64();
        var members = await api.GetFromJsonAsync<JsonElement>(_a.BaseUrl + $"/api/v1/classes/{classId}/members?page_size=50");
        var student = members.GetProperty("items").EnumerateArray().First(m => m.GetProperty("class_role").GetString() == "student")
            .GetProperty("member_id").GetInt64();

        // Exactly 500 calls left today.
        var quota = await api.GetFromJsonAsync<JsonElement>(_a.BaseUrl + "/api/v1/quota");
        var used = quota.GetProperty("used").GetInt32();
        await ExecuteAsync($"UPDATE Organisations SET Policy_DailyBatchQuota = {used + 500} WHERE Id = {me.GetProperty("organisation_id").GetInt64()}");
        var before = await api.GetFromJsonAsync<JsonElement>(_b.BaseUrl + "/api/v1/quota");
        Assert.Equal(500, before.GetProperty("remaining").GetInt32());

        var body = new { operator_id = me.GetProperty("owner_member_id").GetInt64(), class_ids = new[] { classId }, member_ids = new[] { student }, reason_code = reason };
        var calls = Enumerable.Range(0, 600).Select(async i =>
        {
            // Each call has its own Idempotency-Key, so that a call that failed on the shared file's write lock (500, SQLITE_BUSY
            // between two processes) can be retried as an HR system would, without being counted twice.
            var key = $"multi-instance-{i}";
            HttpResponseMessage response;
            var attempt = 0;
            do
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, (i % 2 == 0 ? _a : _b).BaseUrl + "/api/v1/exits/batch")
                    { Content = JsonContent.Create(body) };
                request.Headers.Add("Idempotency-Key", key);
                response = await api.SendAsync(request);
            } while ((int)response.StatusCode >= 500 && ++attempt < 5);
            var text = await response.Content.ReadAsStringAsync();
            var problem = 0;
            if (!response.IsSuccessStatusCode)
            {
                try
                {
                    problem = JsonDocument.Parse(text).RootElement.TryGetProperty("code", out var code) ? code.GetInt32() : -1;
                }
                catch (JsonException)
                {
                    problem = -2;
                }
            }
            return (i % 2, response.StatusCode, problem, text);
        }).ToList();
        var results = await Task.WhenAll(calls);
        var outcomes = string.Join("; ", results.GroupBy(r => (r.StatusCode, r.problem)).Select(g => $"{(int)g.Key.StatusCode}/{g.Key.problem} x{g.Count()}: "
            + g.First().text[..Math.Min(300, g.First().text.Length)]));

        Assert.True(results.Count(r => r.StatusCode == HttpStatusCode.OK) == 500, outcomes);
        Assert.True(results.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests && r.problem == 42901) == 100, outcomes);
        // Both instances granted some of the 500 (the counter is shared, not split).
        Assert.True(results.Count(r => r.Item1 == 0 && r.StatusCode == HttpStatusCode.OK) > 0);
        Assert.True(results.Count(r => r.Item1 == 1 && r.StatusCode == HttpStatusCode.OK) > 0);
        var after = await api.GetFromJsonAsync<JsonElement>(_a.BaseUrl + "/api/v1/quota");
        Assert.Equal(0, after.GetProperty("remaining").GetInt32());
        Assert.Equal(used + 500, after.GetProperty("used").GetInt32());
    }

    // ---- 3. Recurring jobs: one run per occurrence across both servers ----

    private async Task RecurringPurge_FiresOncePerSchedule_AcrossBothInstances()
    {
        // Hangfire stamps each job a recurring job creates with the time it was triggered ("Time", Unix seconds): read them from the
        // shared storage. Occurrences are 10 s apart; the same occurrence triggered by both servers would be two jobs within a second.
        var deadline = DateTime.UtcNow.AddSeconds(45);
        List<(string Id, string Time)> purges;
        while (true)
        {
            purges = PurgeJobs();
            if (purges.Count >= 3) break;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{purges.Count} purge jobs after 45 s\nA:\n{_a.Output(20)}\nB:\n{_b.Output(20)}");
            await Task.Delay(500);
        }
        var times = purges.Select(p => long.Parse(p.Time.Trim('"'), System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        var gaps = times.Zip(times.Skip(1), (earlier, later) => later - earlier).ToList();
        Assert.NotEmpty(gaps);
        Assert.All(gaps, gap => Assert.True(gap >= 5, $"two purge jobs {gap} s apart: {string.Join(", ", times)}"));

        // And in the portal's own records: the school's scheduled runs exist and no occurrence was run twice (by the other server):
        // no two of them started within 5 s of each other, occurrences being 10 s apart. (A run's count is not compared with the jobs':
        // a job retried after its lock wait records a run of its own occurrence, and counting is racy while the schedule goes on.)
        var school = await ScalarAsync("SELECT Id FROM Organisations WHERE Name LIKE '%School%' OR Name LIKE '%学校%' ORDER BY Id LIMIT 1");
        var runs = await ScalarAsync($"SELECT COUNT(*) FROM RetentionRuns WHERE OrganisationId = {school} AND \"Trigger\" = 'schedule'");
        Assert.True(runs >= 1, "no scheduled purge run of the school");
        var doubled = await ScalarAsync($@"SELECT COUNT(*) FROM RetentionRuns a JOIN RetentionRuns b ON a.Id < b.Id
            WHERE a.OrganisationId = {school} AND b.OrganisationId = {school} AND a.""Trigger"" = 'schedule' AND b.""Trigger"" = 'schedule'
              AND abs(julianday(a.StartedAt) - julianday(b.StartedAt)) * 86400 < 5");
        Assert.Equal(0L, doubled);
    }

    private SQLiteStorage? _storage;

    private List<(string Id, string Time)> PurgeJobs()
    {
        _storage ??= new SQLiteStorage(JobsPath, new SQLiteStorageOptions());
        using var connection = _storage.GetConnection();
        var monitoring = _storage.GetMonitoringApi();
        var ids = new List<string>();
        ids.AddRange(monitoring.SucceededJobs(0, 1000).Select(j => j.Key));
        ids.AddRange(monitoring.ProcessingJobs(0, 1000).Select(j => j.Key));
        ids.AddRange(monitoring.FailedJobs(0, 1000).Select(j => j.Key));
        ids.AddRange(monitoring.EnqueuedJobs("default", 0, 1000).Select(j => j.Key));
        return ids.Distinct()
            .Where(id => connection.GetJobParameter(id, "RecurringJobId") is { } recurring && recurring.Contains("retention-purge"))
            .Select(id => (id, connection.GetJobParameter(id, "Time") ?? ""))
            .ToList();
    }

    // ---- 4. A purge killed with its process, finished by the other instance ----

    private async Task PurgeKilledWithItsInstance_IsFinishedByTheOther_LosingAndDuplicatingNothing()
    {
        var school = await ScalarAsync("SELECT Id FROM Organisations WHERE Name LIKE '%School%' OR Name LIKE '%学校%' ORDER BY Id LIMIT 1");
        var classId = await ScalarAsync($"SELECT Id FROM Classes WHERE OrganisationId = {school} ORDER BY Id LIMIT 1");
        var sender = await ScalarAsync($"SELECT MemberId FROM Memberships WHERE ClassId = {classId} ORDER BY Id LIMIT 1");
        Assert.Equal(0, await ScalarAsync($"SELECT COUNT(*) FROM LegalHolds WHERE ReleasedAt IS NULL AND (ClassId = {classId} OR MemberId = {sender})"));
        var otherBefore = await ScalarAsync("SELECT COUNT(*) FROM ChatMessages WHERE Body NOT LIKE 'multi-instance %'");
        var lastRun = await ScalarAsync("SELECT COALESCE(MAX(Id), 0) FROM RetentionRuns");

        // 20,000 messages past their retention and 500 still kept, written straight into the shared file (UTC ticks, as the portal stores them).
        const int due = 20_000, kept = 500;
        var past = DateTimeOffset.UtcNow.AddDays(-2).UtcTicks;
        var future = DateTimeOffset.UtcNow.AddDays(365).UtcTicks;
        await ExecuteAsync($"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {due + kept})
            INSERT INTO ChatMessages (OrganisationId, ClassId, SenderMemberId, Body, SentAt, PurgeAfter, RetainedPermanently)
            SELECT {school}, {classId}, {sender}, 'multi-instance ' || i, {past} - 864000000000, CASE WHEN i <= {due} THEN {past} + i ELSE {future} END, 0 FROM n
            """);

        // Wait for a scheduled run to be midway through them, then kill the instance that runs it.
        var deadline = DateTime.UtcNow.AddSeconds(40);
        long run;
        while (true)
        {
            run = await ScalarAsync($"SELECT COALESCE(MAX(Id), 0) FROM RetentionRuns WHERE Id > {lastRun} AND OrganisationId = {school} AND State = 0 AND MessagesPurged > 0");
            if (run > 0) break;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("no purge run got under way within 40 s\n" + _a.Output(20) + "\n" + _b.Output(20));
            await Task.Delay(100);
        }
        var killed = _a.Printed($"Retention run {run}:") ? _a : _b.Printed($"Retention run {run}:") ? _b : null;
        if (killed is null)
        {
            // Its first batch log line may not have been read yet.
            await Task.Delay(500);
            killed = _a.Printed($"Retention run {run}:") ? _a : _b;
        }
        var survivor = killed == _a ? _b : _a;
        killed.Kill();
        var purgedAtKill = await ScalarAsync($"SELECT MessagesPurged FROM RetentionRuns WHERE Id = {run}");
        Assert.InRange(purgedAtKill, 1, due - 1);

        // The survivor's next occurrence takes the lock once the dead holder's expires, marks the killed run interrupted, and finishes.
        deadline = DateTime.UtcNow.AddSeconds(60);
        while (await ScalarAsync("SELECT COUNT(*) FROM ChatMessages WHERE Body LIKE 'multi-instance %' AND PurgeAfter <= " + past + " + " + due) > 0
               || await ScalarAsync($"SELECT COUNT(*) FROM RetentionRuns WHERE Id > {run} AND OrganisationId = {school} AND State = 1") == 0)
        {
            if (survivor.HasExited) throw new InvalidOperationException($"{survivor.Name} exited:\n{survivor.Output()}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{survivor.Name} did not finish the purge within 60 s\n{survivor.Output(30)}");
            await Task.Delay(250);
        }

        // Nothing lost: the kept messages and every other message are still there.
        Assert.Equal(kept, await ScalarAsync("SELECT COUNT(*) FROM ChatMessages WHERE Body LIKE 'multi-instance %'"));
        var otherDeleted = otherBefore - await ScalarAsync("SELECT COUNT(*) FROM ChatMessages WHERE Body NOT LIKE 'multi-instance %'");
        // Nothing counted twice: the runs since, the killed one included, account for exactly the rows that went.
        var counted = await ScalarAsync($"SELECT SUM(MessagesPurged) FROM RetentionRuns WHERE Id > {lastRun} AND OrganisationId = {school}");
        Assert.Equal(due + otherDeleted, counted);
        Assert.Equal(2, await ScalarAsync($"SELECT State FROM RetentionRuns WHERE Id = {run}")); // Interrupted
        Assert.Equal(HttpStatusCode.OK, (await new HttpClient().GetAsync(survivor.BaseUrl + "/health")).StatusCode);
    }

    // ---- the shared file ----

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Default Timeout=30;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 60;
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Default Timeout=30;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
