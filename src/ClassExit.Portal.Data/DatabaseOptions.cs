using System.ComponentModel.DataAnnotations;

namespace ClassExit.Portal.Data;

public enum DatabaseProvider
{
    Sqlite = 0,
    SqlServer = 1,
}

/// <summary>The <c>Database</c> configuration section.</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary><c>Sqlite</c> (embedded default) or <c>SqlServer</c> (production).</summary>
    [Required]
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Apply pending migrations at start-up. Null (default): on in Development and demo mode only; elsewhere the schema is
    /// changed by the <c>migrate</c> command with a privileged connection and the portal refuses to start while it is behind (ADR 0012).</summary>
    public bool? MigrateOnStart { get; set; }
}
