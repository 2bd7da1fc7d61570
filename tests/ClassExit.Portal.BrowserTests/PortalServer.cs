using ClassExit.Portal.Infrastructure.Authorization;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ClassExit.Portal.BrowserTests;

/// <summary>
/// The built portal as a real process on Kestrel (Development environment, so static web assets come from the build),
/// with its own SQLite file and the demo data, as `dotnet run` would start it.
/// </summary>
public sealed class PortalServer : IAsyncLifetime
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("classexit-browser-").FullName;
    private Process? _process;
    private readonly List<string> _output = [];

    public string BaseUrl { get; private set; } = "";

    /// <summary>The portal's SQLite file, for tests that call its services on the same data.</summary>
    public string DatabasePath => Path.Combine(_dataDirectory, "portal.db");

    public async Task InitializeAsync()
    {
        var root = RepositoryRoot();
        var projectDir = Path.Combine(root, "src", "ClassExit.Portal");
        var dll = Path.Combine(projectDir, "bin", "Debug", "net10.0", "ClassExit.Portal.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException("Build the solution first (tests/run.sh does).", dll);

        var port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", BaseUrl])
        {
            WorkingDirectory = projectDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        // Every browser test signs in from 127.0.0.1, many times per demo account.
        start.Environment["Sessions__SignInPerAccountLimit"] = "100000";
        start.Environment["Sessions__SignInPerIpLimit"] = "100000";
        start.Environment["Sessions__StepUpPerAccountLimit"] = "100000";
        start.Environment["ConnectionStrings__Sqlite"] = $"Data Source={DatabasePath}";
        // The server's audit keys and checkpoint file, where ServicesOnDatabase finds them for the same database file.
        start.Environment["Audit__KeyDirectory"] = DatabasePath + ".audit-keys";
        start.Environment["Audit__CheckpointFile"] = DatabasePath + ".audit-checkpoints.jsonl";
        _process = Process.Start(start) ?? throw new InvalidOperationException("The portal did not start.");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.Add(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.Add(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException("The portal exited:\n" + Output());
            try
            {
                if ((await http.GetAsync(BaseUrl + "/health")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(250);
        }
        throw new TimeoutException("The portal did not answer /health within 90 s:\n" + Output());
    }

    /// <summary>Every line of the portal's output so far that <paramref name="match"/> accepts.</summary>
    public IReadOnlyList<string> OutputLines(Func<string, bool> match)
    {
        lock (_output) return _output.Where(match).ToList();
    }

    public string Output()
    {
        lock (_output) return string.Join(Environment.NewLine, _output.TakeLast(80));
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process?.Dispose();
        if (Directory.Exists(_dataDirectory)) Directory.Delete(_dataDirectory, recursive: true);
        return Task.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ClassExit.Portal.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("ClassExit.Portal.sln not found above " + AppContext.BaseDirectory);
    }
}
