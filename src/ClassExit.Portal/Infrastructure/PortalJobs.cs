using System.ComponentModel.DataAnnotations;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using Hangfire;
using Hangfire.Dashboard;
using Hangfire.InMemory;
using Hangfire.SqlServer;
using ClassExit.Portal.Features;
using Hangfire.Storage.SQLite;
using ClassExit.Portal.Infrastructure.Schema;

namespace ClassExit.Portal.Infrastructure;

public enum JobStorageKind
{
    /// <summary>Embedded: state of jobs lives in memory; every durable fact is in our own tables. One instance only.</summary>
    InMemory = 0,
    /// <summary>Hangfire's tables in the portal's SQL Server database: several instances share them (production).</summary>
    SqlServer = 1,
    /// <summary>A SQLite file next to the portal's (<see cref="JobsOptions.SqliteFile"/>) that several instances on one host share
    /// (Hangfire.Storage.SQLite, ADR 0002): recurring jobs and distributed locks work across them.</summary>
    Sqlite = 2,
}

/// <summary>The <c>Jobs</c> configuration section.</summary>
public sealed class JobsOptions
{
    public const string SectionName = "Jobs";

    /// <summary>Null: SQL Server storage with the SQL Server provider; with SQLite, in-memory in demo mode (one process) and the
    /// shared SQLite job file otherwise. Set <c>Sqlite</c> (or <c>SqlServer</c>) whenever more than one instance may run.</summary>
    public JobStorageKind? Storage { get; set; }

    /// <summary>The job storage file of <see cref="JobStorageKind.Sqlite"/>; default: the portal's SQLite file with <c>.jobs</c> before
    /// its extension (<c>App_Data/classexit.jobs.db</c>). Every instance must name the same file.</summary>
    public string? SqliteFile { get; set; }

    /// <summary>How often a server looks for due scheduled and recurring jobs (Hangfire's default is 15 s).</summary>
    [Range(1, 300)]
    public int SchedulePollingSeconds { get; set; } = 15;

    /// <summary>SQLite job storage: a distributed lock whose holder stopped renewing it (process killed) is free after this long.</summary>
    [Range(2, 600)]
    public int SqliteLockLifetimeSeconds { get; set; } = 30;

    /// <summary>How often a server polls the SQLite job queue for new jobs (SQL Server storage does not poll).</summary>
    [Range(1, 300)]
    public int QueuePollSeconds { get; set; } = 5;

    /// <summary>Run a Hangfire server in this process (switch off in test hosts; jobs are then called directly).</summary>
    public bool ServerEnabled { get; set; } = true;

    /// <summary>Hangfire worker count.</summary>
    [Range(1, 64)]
    public int WorkerCount { get; set; } = 2;

    /// <summary>Hangfire schema on SQL Server (several portal instances may share one database with one schema each).</summary>
    [Required]
    public string SqlServerSchema { get; set; } = "HangFire";
}

public static class PortalJobs
{
    public static IServiceCollection AddPortalJobs(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        // Cron expressions are validated by Hangfire when the recurring jobs are registered at start-up (it throws on a bad one).
        services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        var options = configuration.GetSection(JobsOptions.SectionName).Get<JobsOptions>() ?? new JobsOptions();
        var provider = configuration.GetValue(DatabaseOptions.SectionName + ":" + nameof(DatabaseOptions.Provider), DatabaseProvider.Sqlite);
        var storage = ResolveStorage(options, provider, DemoOptions.IsOn(configuration));
        var migrateOnStart = PortalMigrations.MigrateOnStart(configuration, environment);

        services.AddHangfire(c =>
        {
            c.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings();
            if (storage == JobStorageKind.SqlServer)
                c.UseSqlServerStorage(configuration.GetConnectionString("SqlServer"), new SqlServerStorageOptions
                {
                    SchemaName = options.SqlServerSchema,
                    // Without DDL rights at run time the schema is installed by `migrate` (PortalMigrations), like EF Core's.
                    PrepareSchemaIfNecessary = migrateOnStart,
                });
            else if (storage == JobStorageKind.Sqlite)
                c.UseSQLiteStorage(SqliteJobFile(configuration, environment, options), new SQLiteStorageOptions
                {
                    QueuePollInterval = TimeSpan.FromSeconds(options.QueuePollSeconds),
                    // A lock whose holder died (process killed) is free again after this; a live holder renews it.
                    DistributedLockLifetime = TimeSpan.FromSeconds(options.SqliteLockLifetimeSeconds),
                });
            else
                c.UseInMemoryStorage(new InMemoryStorageOptions { MaxExpirationTime = TimeSpan.FromHours(6) });
        });
        if (options.ServerEnabled)
            services.AddHangfireServer(o =>
            {
                o.WorkerCount = options.WorkerCount;
                o.SchedulePollingInterval = TimeSpan.FromSeconds(options.SchedulePollingSeconds);
            });
        return services;
    }

    public static JobStorageKind ResolveStorage(JobsOptions options, DatabaseProvider provider, bool demo) =>
        options.Storage ?? (provider == DatabaseProvider.SqlServer ? JobStorageKind.SqlServer : demo ? JobStorageKind.InMemory : JobStorageKind.Sqlite);

    /// <summary>The SQLite job file: <see cref="JobsOptions.SqliteFile"/>, else beside the portal's SQLite file.</summary>
    public static string SqliteJobFile(IConfiguration configuration, IHostEnvironment environment, JobsOptions options)
    {
        string path;
        if (!string.IsNullOrWhiteSpace(options.SqliteFile))
            path = Path.IsPathRooted(options.SqliteFile) ? options.SqliteFile : Path.Combine(environment.ContentRootPath, options.SqliteFile);
        else
        {
            var portal = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(
                PortalData.ResolveConnectionString(configuration, environment, DatabaseProvider.Sqlite)).DataSource;
            if (portal == ":memory:") throw new InvalidOperationException("Jobs:Storage=Sqlite needs Jobs:SqliteFile when the portal's database is in memory.");
            path = Path.Combine(Path.GetDirectoryName(portal)!, Path.GetFileNameWithoutExtension(portal) + ".jobs" + Path.GetExtension(portal));
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    /// <summary>
    /// Recurring jobs with explicit ids (re-registered at every start: in-memory storage forgets them): the infrastructure's own,
    /// then each feature's (<see cref="Features.IPortalFeature.ScheduleJobs"/>).
    /// </summary>
    public static void RegisterPortalRecurringJobs(this WebApplication app)
    {
        var jobs = app.Services.GetRequiredService<IRecurringJobManager>();
        jobs.Every<DatabaseStatisticsJob>(DatabaseStatisticsJob.JobId, "41 4 * * *", j => j.RunAsync(CancellationToken.None));
        app.Services.SchedulePortalFeatureJobs();
    }

    /// <summary>
    /// Hangfire's dashboard sees every organisation's jobs, so it is the platform operators' alone, and read-only: nobody triggers
    /// or deletes the jobs of every tenant from it. Enterprise admins see their own organisation's runs at <c>/job-runs</c> and run
    /// their own purge from <c>/retention</c>.
    /// </summary>
    public static IEndpointConventionBuilder MapPortalJobsDashboard(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapHangfireDashboard("/jobs", new DashboardOptions
        {
            Authorization = [new PlatformOperatorDashboardFilter()],
            IsReadOnlyFunc = _ => true,
            DashboardTitle = "ClassExit.Portal",
            AppPath = "/",
        })
        // Signed in first (anonymous callers are sent to the sign-in page); the filter then answers 403 to anyone but a platform operator.
        .RequireAuthorization();

    /// <summary>Hangfire answers 403 to signed-in callers when this returns false.</summary>
    private sealed class PlatformOperatorDashboardFilter : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) => context.GetHttpContext().User.IsInRole(PortalRoles.PlatformOperator);
    }
}
