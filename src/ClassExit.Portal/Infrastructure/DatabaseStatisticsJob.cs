using ClassExit.Portal.Data;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Infrastructure;

/// <summary>Refreshes SQLite's planner statistics at start and daily, as the data grows (<see cref="SqliteStatistics"/>).</summary>
public sealed class DatabaseStatisticsJob(IDbContextFactory<PortalDbContext> factory)
{
    public const string JobId = "database-statistics";

    public async Task RunAsync(CancellationToken ct)
    {
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        await SqliteStatistics.RefreshAsync(db, ct);
    }
}
