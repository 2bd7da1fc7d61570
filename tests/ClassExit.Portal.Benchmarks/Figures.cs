using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ClassExit.Portal.Benchmarks;

/// <summary>One measured figure: service timings, the raw-SQL timings of the same statements (if any), its goal and verdict.</summary>
internal sealed record Figure(string Name, double MedianMs, double P95Ms, double? RawP95Ms, string Goal, bool Pass, string Note = "")
{
    public double? Ratio => RawP95Ms is { } r && r > 0 ? P95Ms / r : null;

    public string Line => string.Create(CultureInfo.InvariantCulture,
        $"figure {Name} median_ms={Ms(MedianMs)} p95_ms={Ms(P95Ms)} raw_p95_ms={(RawP95Ms is { } r ? Ms(r) : "-")} ratio={(Ratio is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) : "-")} goal={Goal} verdict={(Pass ? "pass" : "fail")}");

    public static string Ms(double ms) => ms.ToString(ms >= 100 ? "0.0" : "0.00", CultureInfo.InvariantCulture);

    /// <summary>A p95 goal in milliseconds.</summary>
    public static Figure P95(string name, IReadOnlyList<double> service, IReadOnlyList<double>? raw, double goalMs, string note = "") =>
        new(name, Stats.Median(service), Stats.P95(service), raw is null ? null : Stats.P95(raw), $"p95<={goalMs.ToString(CultureInfo.InvariantCulture)}ms",
            Stats.P95(service) <= goalMs, note);

    /// <summary>A goal relative to the same statements in raw SQL.</summary>
    public static Figure Ratio_(string name, IReadOnlyList<double> service, IReadOnlyList<double> raw, double maxRatio, string note = "")
    {
        var f = new Figure(name, Stats.Median(service), Stats.P95(service), Stats.P95(raw), $"p95<={maxRatio.ToString(CultureInfo.InvariantCulture)}x_raw_sql", false, note);
        return f with { Pass = f.Ratio <= maxRatio };
    }
}

internal static class Stats
{
    public static double Median(IReadOnlyList<double> xs) => Percentile(xs, 0.5);

    public static double P95(IReadOnlyList<double> xs) => Percentile(xs, 0.95);

    /// <summary>Nearest-rank percentile (p95 of fewer than 20 samples is their maximum).</summary>
    public static double Percentile(IReadOnlyList<double> xs, double p)
    {
        if (xs.Count == 0) return double.NaN;
        var sorted = xs.Order().ToArray();
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>A command EF sent to SQLite: its text and parameters exactly as bound.</summary>
internal sealed record CapturedCommand(string Text, IReadOnlyList<(string Name, object? Value, System.Data.DbType Type)> Parameters);

/// <summary>
/// Records every command the portal's contexts execute while <see cref="Begin"/> is active in the calling flow, so that the raw-SQL
/// counterpart of a figure is literally the statements the service ran.
/// </summary>
internal sealed class SqlCapture : DbCommandInterceptor
{
    private static readonly AsyncLocal<List<CapturedCommand>?> Current = new();

    /// <summary>Every statement executed so far (all flows), for statement counts.</summary>
    public static long Executed;

    public static List<CapturedCommand> Begin() => Current.Value = [];

    public static void End() => Current.Value = null;

    private static void Record(DbCommand command)
    {
        Interlocked.Increment(ref Executed);
        Current.Value?.Add(new CapturedCommand(command.CommandText,
            command.Parameters.Cast<DbParameter>().Select(p => (p.ParameterName, p.Value, p.DbType)).ToList()));
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Record(command);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Record(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Record(command);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        Record(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        Record(command);
        return result;
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result,
        CancellationToken cancellationToken = default)
    {
        Record(command);
        return ValueTask.FromResult(result);
    }

    /// <summary>Runs the captured statements on <paramref name="connection"/>, reading every value of every row.</summary>
    public static async Task<long> ReplayAsync(SqliteConnection connection, IReadOnlyList<CapturedCommand> commands)
    {
        long values = 0;
        foreach (var captured in commands)
        {
            // Reads only: a write the service made is not repeated behind its back.
            var verb = captured.Text.TrimStart();
            if (!verb.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) && !verb.StartsWith("WITH", StringComparison.OrdinalIgnoreCase)) continue;
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = captured.Text;
            cmd.CommandTimeout = 0;
            foreach (var (name, value, type) in captured.Parameters)
            {
                var p = cmd.CreateParameter();
                p.ParameterName = name;
                p.DbType = type;
                p.Value = value ?? DBNull.Value;
                cmd.Parameters.Add(p);
            }
            await using var reader = await cmd.ExecuteReaderAsync();
            do
            {
                while (await reader.ReadAsync())
                    for (var i = 0; i < reader.FieldCount; i++)
                        if (!reader.IsDBNull(i)) { _ = reader.GetValue(i); values++; }
            }
            while (await reader.NextResultAsync());
        }
        return values;
    }
}

/// <summary>
/// A concurrent writer: takes SQLite's write lock every ~5 ms (BEGIN IMMEDIATE, one tiny insert, COMMIT) on its own connection and
/// records how long each attempt waited. Its longest wait is, from the outside, the longest time anybody else held the write lock.
/// Polls with a zero busy timeout every millisecond, so that the wait is not rounded to SQLite's or the ADO.NET provider's retry steps.
/// </summary>
internal sealed class WriteLockProbe : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<double> _waits = [];

    private WriteLockProbe(string path)
    {
        _loop = Task.Factory.StartNew(() => Loop(path), TaskCreationOptions.LongRunning);
    }

    public static async Task<WriteLockProbe> StartAsync(string path)
    {
        await using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await c.OpenAsync();
            await ScaleDatabase.ExecAsync(c, "CREATE TABLE IF NOT EXISTS bench_probe (Id INTEGER PRIMARY KEY, At INTEGER NOT NULL)");
        }
        return new WriteLockProbe(path);
    }

    private void Loop(string path)
    {
        using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        c.Open();
        // Its own commits skip the fsync (this connection only), so that the probe does not load the disk the measured writer uses.
        using (var t = c.CreateCommand()) { t.CommandText = "PRAGMA busy_timeout = 0; PRAGMA synchronous = OFF;"; t.ExecuteNonQuery(); }
        var handle = c.Handle!;
        while (!_stop.IsCancellationRequested)
        {
            var sw = Stopwatch.StartNew();
            while (true)
            {
                var rc = SQLitePCL.raw.sqlite3_exec(handle, "BEGIN IMMEDIATE");
                if (rc == SQLitePCL.raw.SQLITE_OK) break;
                if (rc != SQLitePCL.raw.SQLITE_BUSY && rc != SQLitePCL.raw.SQLITE_LOCKED) throw new InvalidOperationException($"probe: BEGIN IMMEDIATE failed ({rc})");
                if (_stop.IsCancellationRequested) return;
                Thread.Sleep(1);
            }
            var waited = sw.Elapsed.TotalMilliseconds;
            SQLitePCL.raw.sqlite3_exec(handle, $"INSERT INTO bench_probe (At) VALUES ({DateTime.UtcNow.Ticks})");
            var commit = SQLitePCL.raw.sqlite3_exec(handle, "COMMIT");
            if (commit != SQLitePCL.raw.SQLITE_OK) SQLitePCL.raw.sqlite3_exec(handle, "ROLLBACK");
            lock (_waits) _waits.Add(waited);
            // About 200 writes a second: a hold of more than a few milliseconds is always met.
            Thread.Sleep(5);
        }
    }

    /// <summary>Forgets the waits so far (e.g. before the measured operation starts).</summary>
    public void Reset() { lock (_waits) _waits.Clear(); }

    public (double Longest, int Samples) Snapshot()
    {
        lock (_waits) return (_waits.Count == 0 ? 0 : _waits.Max(), _waits.Count);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>Prints figure lines and rewrites this mode's section of docs/benchmarks.md.</summary>
internal sealed class Report(string mode)
{
    private readonly List<Figure> _figures = [];
    private readonly List<string> _notes = [];

    public IReadOnlyList<Figure> Figures => _figures;

    public void Add(Figure f)
    {
        _figures.Add(f);
        Console.WriteLine(f.Line + (f.Note.Length > 0 ? "" : ""));
        if (f.Note.Length > 0) Console.WriteLine($"  ({f.Name}: {f.Note})");
    }

    public void Note(string text)
    {
        _notes.Add(text);
        Console.WriteLine("  " + text);
    }

    public static string Machine()
    {
        var cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException) { }
        var commit = Git("rev-parse --short HEAD");
        var dirty = Git("status --porcelain --untracked-files=no").Length > 0 ? " (with uncommitted changes)" : "";
        var load = "";
        try
        {
            // Other work on the machine inflates every figure: say how busy it was.
            load = ", load average " + string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException) { }
        return $"{cpu}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, commit {commit}{dirty}, " +
            $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC{load}";
    }

    private static string Git(string args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("git", args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
            var output = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return p.ExitCode == 0 ? output : "unknown";
        }
        catch (System.ComponentModel.Win32Exception) { return "unknown"; }
    }

    /// <summary>Replaces the text between this mode's markers in docs/benchmarks.md (adds the section when missing).</summary>
    public void WriteDocs(string repositoryRoot, string title, string intro)
    {
        var path = Path.Combine(repositoryRoot, "docs", "benchmarks.md");
        var text = File.Exists(path) ? File.ReadAllText(path) : "# Benchmarks\n";
        var start = $"<!-- benchmark:{mode}:start -->";
        var end = $"<!-- benchmark:{mode}:end -->";
        var sb = new StringBuilder();
        sb.AppendLine(start);
        sb.AppendLine($"### {title}");
        sb.AppendLine();
        sb.AppendLine(intro);
        sb.AppendLine();
        sb.AppendLine($"Machine: {Machine()}.");
        sb.AppendLine();
        sb.AppendLine("| figure | median ms | p95 ms | raw SQL p95 ms | ratio | goal | verdict |");
        sb.AppendLine("|---|---:|---:|---:|---:|---|---|");
        foreach (var f in _figures)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {f.Name} | {Figure.Ms(f.MedianMs)} | {Figure.Ms(f.P95Ms)} | {(f.RawP95Ms is { } r ? Figure.Ms(r) : "–")} | {(f.Ratio is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) : "–")} | `{f.Goal}` | {(f.Pass ? "pass" : "**fail**")} |"));
        sb.AppendLine();
        if (_notes.Count > 0 || _figures.Any(f => f.Note.Length > 0))
        {
            foreach (var f in _figures.Where(f => f.Note.Length > 0)) sb.AppendLine($"- {f.Name}: {f.Note}");
            foreach (var n in _notes) sb.AppendLine($"- {n}");
            sb.AppendLine();
        }
        sb.AppendLine("```");
        foreach (var f in _figures) sb.AppendLine(f.Line);
        sb.AppendLine("```");
        sb.Append(end);
        var section = sb.ToString();
        var i = text.IndexOf(start, StringComparison.Ordinal);
        var j = text.IndexOf(end, StringComparison.Ordinal);
        text = i >= 0 && j > i ? text[..i] + section + text[(j + end.Length)..] : text.TrimEnd() + "\n\n" + section + "\n";
        File.WriteAllText(path, text);
        Console.WriteLine($"Wrote the {mode} section of {path}");
    }
}
