using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Data;

/// <summary>Provider switch shared by the host, design-time tools and tests.</summary>
public static class PortalDbContextConfigurator
{
    public const string SqliteMigrationsAssembly = "ClassExit.Portal.Data.Sqlite";
    public const string SqlServerMigrationsAssembly = "ClassExit.Portal.Data.SqlServer";

    public static TBuilder UsePortalProvider<TBuilder>(this TBuilder builder, DatabaseProvider provider, string connectionString)
        where TBuilder : DbContextOptionsBuilder
    {
        _ = provider switch
        {
            DatabaseProvider.Sqlite => builder.UseSqlite(connectionString, o => o.MigrationsAssembly(SqliteMigrationsAssembly)),
            // No retrying execution strategy: services use explicit transactions (change + audit entry together).
            DatabaseProvider.SqlServer => builder.UseSqlServer(connectionString, o => o.MigrationsAssembly(SqlServerMigrationsAssembly)),
            _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "Unknown database provider."),
        };
        return builder;
    }
}
