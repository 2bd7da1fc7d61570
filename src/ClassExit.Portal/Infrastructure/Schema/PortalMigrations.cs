using System.Data.Common;
using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Errors;
using Hangfire.SqlServer;
using Microsoft.Data.SqlClient;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ClassExit.Portal.Infrastructure.Schema;

/// <summary>
/// Schema changes without DDL rights at run time (ADR 0012). The portal's own account reads and writes rows; the schema is changed by
/// <c>dotnet ClassExit.Portal.dll migrate</c>, which connects with the privileged connection string
/// <c>ConnectionStrings:SqlServerMigrations</c> (or <c>SqliteMigrations</c>; the runtime one when unset) and applies EF Core's migrations
/// and, with SQL Server job storage, Hangfire's schema. <c>Database:MigrateOnStart</c> defaults to true only in Development and demo
/// mode; otherwise a portal whose schema is behind refuses to start (51001).
/// </summary>
public static class PortalMigrations
{
    public const string CommandName = "migrate";

    /// <summary><c>Database:MigrateOnStart</c> when set; otherwise on in Development and in demo mode, off everywhere else.</summary>
    public static bool MigrateOnStart(IConfiguration configuration, IHostEnvironment environment) =>
        configuration.GetValue<bool?>(DatabaseOptions.SectionName + ":" + nameof(DatabaseOptions.MigrateOnStart))
            ?? (environment.IsDevelopment() || DemoOptions.IsOn(configuration));

    /// <summary>The connection string <c>migrate</c> uses: <c>ConnectionStrings:{Provider}Migrations</c>, else the runtime one.</summary>
    public static (string ConnectionString, string Name) MigrationConnection(IConfiguration configuration, IHostEnvironment environment, DatabaseProvider provider)
    {
        var name = provider + "Migrations";
        var privileged = configuration.GetConnectionString(name);
        if (string.IsNullOrWhiteSpace(privileged))
            return (PortalData.ResolveConnectionString(configuration, environment, provider), provider.ToString());
        if (provider == DatabaseProvider.Sqlite)
        {
            // Same file rules as the runtime connection (relative to the content root).
            var overlay = new ConfigurationBuilder().AddInMemoryCollection([new("ConnectionStrings:Sqlite", privileged)]).Build();
            return (PortalData.ResolveConnectionString(overlay, environment, provider), name);
        }
        return (privileged, name);
    }

    /// <summary>For Program.cs: runs <c>migrate</c> when the arguments name it (the host then exits with its exit code).</summary>
    public static async Task<bool> TryRunCommandAsync(WebApplication app, string[] args)
    {
        if (args.Length == 0 || args[0] != CommandName) return false;
        Environment.ExitCode = await RunAsync(app.Services, app.Configuration, app.Environment, Console.Out);
        return true;
    }

    /// <summary>0 when the schema is current afterwards, 1 when a migration failed (51003; written to <paramref name="output"/>).</summary>
    public static async Task<int> RunAsync(IServiceProvider services, IConfiguration configuration, IHostEnvironment environment, TextWriter output,
        CancellationToken ct = default)
    {
        var provider = configuration.GetValue(DatabaseOptions.SectionName + ":" + nameof(DatabaseOptions.Provider), DatabaseProvider.Sqlite);
        var (connectionString, name) = MigrationConnection(configuration, environment, provider);
        await output.WriteLineAsync($"Migrating the {provider} database with ConnectionStrings:{name} ({Describe(connectionString, provider)}).");
        try
        {
            var options = new DbContextOptionsBuilder<PortalDbContext>().UsePortalProvider(provider, connectionString)
                .UseApplicationServiceProvider(services).Options;
            await using (var db = new PortalDbContext(options).ForSystem())
            {
                var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
                foreach (var migration in pending) await output.WriteLineAsync($"  applying {migration}");
                await db.Database.MigrateAsync(ct);
                await output.WriteLineAsync(pending.Count == 0 ? "  the schema was already current." : $"  {pending.Count} migration(s) applied.");
            }

            var jobs = configuration.GetSection(JobsOptions.SectionName).Get<JobsOptions>() ?? new JobsOptions();
            if (PortalJobs.ResolveStorage(jobs, provider, DemoOptions.IsOn(configuration)) == JobStorageKind.SqlServer)
            {
                await using var connection = new SqlConnection(connectionString);
                await connection.OpenAsync(ct);
                // Hangfire's own installer: creates or upgrades its schema (idempotent), in one transaction.
                SqlServerObjectsInstaller.Install(connection, jobs.SqlServerSchema, enableHeavyMigrations: true);
                await output.WriteLineAsync($"  Hangfire schema [{jobs.SqlServerSchema}] installed or current.");
            }
            return 0;
        }
        catch (Exception e) when (e is DbException or InvalidOperationException)
        {
            await output.WriteLineAsync(e.Message);
            await output.WriteLineAsync(PortalStartupException.Format(ErrorCatalogue.MigrationFailed, null, "ClassExit.Portal migrate 未完成 / did not complete"));
            return 1;
        }
    }

    /// <summary>
    /// Start-up without migrating: refuses (51001) when a migration of this version is not applied; logs (51004) when the database has
    /// migrations this version does not know (a newer portal migrated it: additive migrations keep an older one working meanwhile).
    /// </summary>
    public static async Task EnsureSchemaCurrentAsync(PortalDbContext db, ILogger logger, CancellationToken ct = default)
    {
        var known = db.Database.GetMigrations().ToList();
        var applied = (await db.Database.GetAppliedMigrationsAsync(ct)).ToList();
        var pending = known.Except(applied).ToList();
        if (pending.Count > 0)
            throw new PortalStartupException(ErrorCatalogue.SchemaBehind,
                $"{pending.Count} of {known.Count} migrations not applied: {string.Join(", ", pending)}");
        var unknown = applied.Except(known).ToList();
        if (unknown.Count > 0)
            logger.LogWarning("{Refusal} Unknown migrations: {Migrations}", PortalStartupException.Format(ErrorCatalogue.SchemaAhead, null, "ClassExit.Portal 警告 / warning"),
                string.Join(", ", unknown));
    }

    private static string Describe(string connectionString, DatabaseProvider provider)
    {
        if (provider == DatabaseProvider.Sqlite) return new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString).DataSource;
        var b = new SqlConnectionStringBuilder(connectionString);
        return $"server {b.DataSource}, database {b.InitialCatalog}, user {(b.IntegratedSecurity ? "(integrated)" : b.UserID)}";
    }
}

/// <summary>A refusal to start: a catalogue code with both languages and the remedy, printed on the console (no stack trace).</summary>
public sealed class PortalStartupException(int code, string? detail) : Exception(Format(code, detail))
{
    public int Code { get; } = code;

    public static string Format(int code, string? detail, string heading = "ClassExit.Portal 无法启动 / cannot start")
    {
        var d = ErrorCatalogue.Get(code);
        var lines = new List<string>
        {
            $"{heading} [{code}]",
            "  " + d.MessageZh,
            "  " + d.MessageEn,
            "  处理：" + d.RemedyZh,
            "  Remedy: " + d.RemedyEn,
        };
        if (detail is not null) lines.Add("  " + detail);
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>Writes the refusal to the log and to standard error; the process exits with code 1.</summary>
    public void Report(ILogger logger)
    {
        logger.LogCritical("Start refused with code {Code}", Code);
        Console.Error.WriteLine(Message);
        Environment.ExitCode = 1;
    }
}
