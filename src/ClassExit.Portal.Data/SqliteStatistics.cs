using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Data;

/// <summary>
/// SQLite's query planner statistics (<c>sqlite_stat1</c>). Without them SQLite guesses that every index column is equally selective,
/// and once the tenant filter became a plain <c>OrganisationId = @tenant</c> it picked <c>(OrganisationId, …)</c> indexes over
/// <c>(ClassId, …)</c> ones for correlated subqueries: the classes grid took 3.8 s instead of 0.6 ms on a million memberships
/// (docs/benchmarks.md). <c>ANALYZE</c> with <c>analysis_limit</c> samples each index, so it takes milliseconds even on millions
/// of rows. SQL Server keeps its statistics itself (AUTO_CREATE_STATISTICS / AUTO_UPDATE_STATISTICS are on by default).
/// </summary>
public static class SqliteStatistics
{
    public const int AnalysisLimit = 1000;

    public static async Task RefreshAsync(PortalDbContext db, CancellationToken ct = default)
    {
        if (!db.Database.IsSqlite()) return;
        await db.Database.ExecuteSqlRawAsync($"PRAGMA analysis_limit={AnalysisLimit}; ANALYZE;", ct);
    }
}
