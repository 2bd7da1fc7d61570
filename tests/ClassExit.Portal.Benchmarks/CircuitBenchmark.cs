using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Serialization;
using Microsoft.Playwright;

/// <summary>
/// What one idle Blazor circuit costs the server. Starts the built portal (Release, Development environment for its
/// <c>/_dev/memory</c> endpoint) on a fresh demo database, signs in with Chromium, opens a few warm-up pages, then
/// <c>--rounds</c> times opens <c>--circuits</c> more pages on each path and reads the managed heap (after a forced full collection)
/// and the resident set before and after: the difference divided by the new circuits. Prints <c>figure idle-circuit-kb-…</c> lines
/// (the values are kilobytes, in the figure form's <c>median_ms</c>/<c>p95_ms</c> fields).
/// Options after <c>circuits</c>: <c>--circuits N</c> (default 25), <c>--rounds N</c> (default 2), <c>--paths /reason-codes,/</c>,
/// <c>--user admin@school.demo</c>.
/// </summary>
internal static class CircuitBenchmark
{
    private const string Chromium = "/usr/bin/chromium";
    private const double GoalKb = 500;

    public static async Task RunAsync()
    {
        var argv = Environment.GetCommandLineArgs();
        string Option(string name, string fallback) => Array.IndexOf(argv, name) is var i and >= 0 && i + 1 < argv.Length ? argv[i + 1] : fallback;
        var perRound = int.Parse(Option("--circuits", "25"));
        var rounds = int.Parse(Option("--rounds", "2"));
        var paths = Option("--paths", "/reason-codes,/").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var user = Option("--user", "admin@school.demo");
        // Experiments: --portal-env DOTNET_gcServer=0;Circuit__X=1 sets the portal's environment; --hold N keeps the circuits open N s
        // after measuring (for dotnet-gcdump / dotnet-counters on the printed process id).
        var portalEnv = Option("--portal-env", "").Split(';', StringSplitOptions.RemoveEmptyEntries).Select(e => e.Split('=', 2)).ToDictionary(e => e[0], e => e[1]);
        var hold = int.Parse(Option("--hold", "0"));

        var data = Directory.CreateTempSubdirectory("classexit-circuits-");
        try
        {
            foreach (var path in paths)
            {
                // One portal process per path, so each path's circuits are measured alone.
                await using var portal = await Portal.StartAsync(Path.Combine(data.FullName, "portal.db"), portalEnv);
                using var playwright = await Playwright.CreateAsync();
                await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
                {
                    ExecutablePath = Chromium, Headless = true,
                    Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--no-first-run", "--disable-dev-shm-usage"],
                });
                var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = portal.BaseUrl, Locale = "zh-CN" });
                context.SetDefaultTimeout(60_000);
                var signIn = await context.NewPageAsync();
                await signIn.GotoAsync("/Account/Login");
                await signIn.FillAsync("#Input\\.Email", user);
                await signIn.FillAsync("#Input\\.Password", "Demo#2026!");
                await signIn.ClickAsync("#sign-in");
                await signIn.WaitForURLAsync(url => !url.Contains("/Account/Login"), new() { WaitUntil = WaitUntilState.Commit });
                // The memory endpoint answers enterprise admins only: it is read with the signed-in browser's cookie.
                portal.Api = context.APIRequest;

                await OpenAsync(context, portal, path, 5); // warm-up: JIT, caches, first-time allocations are not per circuit
                var before = await portal.MemoryAsync();
                var managedKb = new List<double>();
                var rssKb = new List<double>();
                for (var r = 0; r < rounds; r++)
                {
                    await OpenAsync(context, portal, path, perRound);
                    var after = await portal.MemoryAsync();
                    var opened = after.Circuits - before.Circuits;
                    managedKb.Add((after.ManagedBytes - before.ManagedBytes) / 1024.0 / opened);
                    rssKb.Add((after.RssBytes - before.RssBytes) / 1024.0 / opened);
                    Console.WriteLine($"circuits {path} round {r + 1}: {opened} more idle circuits ({after.Circuits} open): " +
                        $"managed +{managedKb[^1]:N0} KB each, RSS +{rssKb[^1]:N0} KB each (managed {after.ManagedBytes / 1048576.0:0.0} MB, RSS {after.RssBytes / 1048576.0:0.0} MB)");
                    before = after;
                }
                var name = path == "/" ? "dashboard" : path.Trim('/').Replace('/', '-');
                Figure($"idle-circuit-kb-{name}-rss", rssKb);
                Figure($"idle-circuit-kb-{name}-managed", managedKb);
                if (hold > 0)
                {
                    Console.WriteLine($"holding {hold} s: portal process {portal.ProcessId}");
                    await Task.Delay(TimeSpan.FromSeconds(hold));
                }
                await context.CloseAsync();
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            data.Delete(recursive: true);
        }
    }

    private static async Task OpenAsync(IBrowserContext context, Portal portal, string path, int count)
    {
        var expected = (await portal.MemoryAsync()).Circuits + count;
        for (var i = 0; i < count; i++)
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync(path, new() { WaitUntil = WaitUntilState.NetworkIdle });
        }
        // Every page's circuit is open and its first interactive render done.
        var deadline = Stopwatch.StartNew();
        while ((await portal.MemoryAsync(collect: false)).Circuits < expected)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(120)) throw new TimeoutException($"circuits did not reach {expected}");
            await Task.Delay(200);
        }
        // Idle: let the pages' interactive renders and their first loads settle.
        await Task.Delay(TimeSpan.FromSeconds(3));
    }

    private static void Figure(string name, List<double> kb)
    {
        var sorted = kb.Order().ToArray();
        double At(double p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
        Console.WriteLine($"figure {name} median_ms={At(50):0} p95_ms={At(95):0} raw_p95_ms=- ratio=- goal=<={GoalKb:0}KB verdict={(At(95) <= GoalKb ? "pass" : "fail")}");
    }

    private sealed record Memory(
        [property: JsonPropertyName("circuits")] int Circuits,
        [property: JsonPropertyName("managed_bytes")] long ManagedBytes,
        [property: JsonPropertyName("rss_bytes")] long RssBytes);

    /// <summary>The built portal as its own process, as <c>dotnet run</c> would start it, on its own SQLite file.</summary>
    private sealed class Portal : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly HttpClient _http = new();

        private Portal(Process process, string baseUrl)
        {
            _process = process;
            BaseUrl = baseUrl;
        }

        public string BaseUrl { get; }

        public int ProcessId => _process.Id;

        public static async Task<Portal> StartAsync(string database, IReadOnlyDictionary<string, string> environment)
        {
            var root = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(root, "ClassExit.Portal.sln"))) root = Path.GetDirectoryName(root) ?? throw new DirectoryNotFoundException("repository root");
            var projectDir = Path.Combine(root, "src", "ClassExit.Portal");
            var dll = Path.Combine(projectDir, "bin", "Release", "net10.0", "ClassExit.Portal.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException("Build the portal in Release first (dotnet build -c Release).", dll);
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
            listener.Stop();
            var start = new ProcessStartInfo("dotnet", [dll, "--urls", url]) { WorkingDirectory = projectDir, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
            start.Environment["ConnectionStrings__Sqlite"] = $"Data Source={database}";
            start.Environment["Sessions__SignInPerAccountLimit"] = "100000";
            start.Environment["Sessions__SignInPerIpLimit"] = "100000";
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            foreach (var (key, value) in environment) start.Environment[key] = value;
            var process = Process.Start(start) ?? throw new InvalidOperationException("the portal did not start");
            process.OutputDataReceived += (_, e) => { if (e.Data is { } line && (line.StartsWith("fail") || line.StartsWith("crit") || line.Contains("Exception"))) Console.Error.WriteLine("portal: " + line); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("portal: " + e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var portal = new Portal(process, url);
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                if (process.HasExited) throw new InvalidOperationException("the portal exited");
                try
                {
                    if ((await portal._http.GetAsync(url + "/health")).StatusCode == HttpStatusCode.OK) return portal;
                }
                catch (HttpRequestException)
                {
                    // not listening yet
                }
                if (deadline.Elapsed > TimeSpan.FromSeconds(180)) throw new TimeoutException("the portal did not answer /health");
                await Task.Delay(250);
            }
        }

        public IAPIRequestContext? Api { get; set; }

        public async Task<Memory> MemoryAsync(bool collect = true)
        {
            var response = await (Api ?? throw new InvalidOperationException("sign in first")).GetAsync(BaseUrl + "/_dev/memory" + (collect ? "" : "?collect=false"));
            if (!response.Ok) throw new InvalidOperationException($"/_dev/memory answered {response.Status}");
            return System.Text.Json.JsonSerializer.Deserialize<Memory>(await response.TextAsync()) ?? throw new InvalidOperationException("no memory figures");
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            _process.Dispose();
            _http.Dispose();
        }
    }
}
