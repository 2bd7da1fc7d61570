using Microsoft.AspNetCore.Components.Server.Circuits;

namespace ClassExit.Portal.Infrastructure.Diagnostics;

/// <summary>Counts the open Blazor circuits (connected or not yet evicted), for the Development memory endpoint.</summary>
public sealed class CircuitCounter : CircuitHandler
{
    private static int _open;

    public static int Open => Volatile.Read(ref _open);

    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _open);
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        Interlocked.Decrement(ref _open);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Development only, enterprise admins only: <c>GET /_dev/memory</c> (<c>?collect=false</c>: without collecting) forces a full blocking, compacting collection and answers the managed heap, the process's
/// resident set and the open circuits, so the benchmark's <c>circuits</c> mode can measure what one idle circuit costs. Never mapped
/// outside Development.
/// </summary>
public static class DevelopmentDiagnostics
{
    public static IServiceCollection AddDevelopmentDiagnostics(this IServiceCollection services, IHostEnvironment environment)
    {
        if (environment.IsDevelopment()) services.AddSingleton<CircuitHandler, CircuitCounter>();
        return services;
    }

    public static WebApplication MapDevelopmentDiagnostics(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment()) return app;
        app.MapGet("/_dev/memory", (bool? collect) =>
        {
            for (var i = 0; collect != false && i < 2; i++)
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
            }
            var info = GC.GetGCMemoryInfo();
            return Results.Json(new
            {
                circuits = CircuitCounter.Open,
                managed_bytes = GC.GetTotalMemory(forceFullCollection: false),
                heap_committed_bytes = info.TotalCommittedBytes,
                rss_bytes = ResidentBytes(),
            });
        }).RequireAuthorization(Policies.EnterpriseAdmin).ExcludeFromDescription();
        return app;
    }

    /// <summary>VmRSS from /proc/self/status (Linux); the working set elsewhere.</summary>
    private static long ResidentBytes()
    {
        const string path = "/proc/self/status";
        if (File.Exists(path))
            foreach (var line in File.ReadLines(path))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]) * 1024;
        return Environment.WorkingSet;
    }
}
