using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ClassExit.Portal.BrowserTests.MultiInstance;

/// <summary>The tests that start their own portal processes run one after the other (each starts several, on a machine of 2 cores).</summary>
[CollectionDefinition(Name)]
public sealed class PortalProcesses
{
    public const string Name = "portal processes";
}

/// <summary>
/// One built portal as its own process on Kestrel with the settings given (several of them may share a data directory). Its console
/// output is kept, to tell which instance ran what. <see cref="Kill"/> ends it at once, as a crashed host or a killed container would.
/// </summary>
public sealed class PortalInstance : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    public string Name { get; }
    public string BaseUrl { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;

    private PortalInstance(string name, Process process, string baseUrl)
    {
        Name = name;
        _process = process;
        BaseUrl = baseUrl;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.Add(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.Add(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static string PortalDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ClassExit.Portal.sln"))) dir = dir.Parent;
        var root = dir?.FullName ?? throw new DirectoryNotFoundException("ClassExit.Portal.sln not found above " + AppContext.BaseDirectory);
        var dll = Path.Combine(root, "src", "ClassExit.Portal", "bin", "Debug", "net10.0", "ClassExit.Portal.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the solution first (tests/run.sh does).", dll);
    }

    /// <summary>Starts the portal with <paramref name="settings"/> as environment variables (<c>Section__Key</c>); with
    /// <paramref name="args"/> it runs that console command instead (<c>migrate</c>, <c>create-first-admin …</c>) and listens nowhere.</summary>
    public static PortalInstance Start(string name, IReadOnlyDictionary<string, string> settings, params string[] args)
    {
        var dll = PortalDll();
        var baseUrl = $"http://127.0.0.1:{FreePort()}";
        var start = new ProcessStartInfo("dotnet", args.Length > 0 ? [dll, .. args] : [dll, "--urls", baseUrl])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in settings) start.Environment[key] = value;
        return new PortalInstance(name, Process.Start(start) ?? throw new InvalidOperationException("The portal did not start."), baseUrl);
    }

    /// <summary>Polls <c>/health</c> until it answers 200 (or the process exits, or the deadline passes).</summary>
    public async Task WaitHealthyAsync(TimeSpan within)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"Portal {Name} exited with {_process.ExitCode}:\n" + Output());
            try
            {
                if ((await http.GetAsync(BaseUrl + "/health")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"Portal {Name} did not answer /health within {within.TotalSeconds} s:\n" + Output());
    }

    /// <summary>Waits for the process to exit by itself; its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit(); // flushes the redirected output
        return _process.ExitCode;
    }

    public bool Printed(string text)
    {
        lock (_output) return _output.Any(l => l.Contains(text, StringComparison.Ordinal));
    }

    public string Output(int lines = 80)
    {
        lock (_output) return string.Join(Environment.NewLine, _output.TakeLast(lines));
    }

    /// <summary>Ends the process at once (SIGKILL): no shutdown, no lock released, no job finished.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
