using System.ComponentModel.DataAnnotations;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using Hangfire;
using Hangfire.Dashboard;
using Hangfire.InMemory;
using Hangfire.SqlServer;

namespace ClassExit.Portal.Infrastructure;

public enum JobStorageKind
{
    /// <summary>Embedded: state of jobs lives in memory; every durable fact is in our own tables.</summary>
    InMemory = 0,
    SqlServer = 1,
}

/// <summary>The <c>Jobs</c> configuration section.</summary>
public sealed class JobsOptions
{
    public const string SectionName = "Jobs";

    /// <summary>Null: SQL Server storage with the SQL Server provider, in-memory otherwise.</summary>
    public JobStorageKind? Storage { get; set; }

    /// <summary>Run a Hangfire server in this process (switch off in test hosts; jobs are then called directly).</summary>
    public bool ServerEnabled { get; set; } = true;

    /// <summary>Hangfire worker count.</summary>
    [Range(1, 64)]
    public int WorkerCount { get; set; } = 2;

    /// <summary>Cron of the approval escalation job (pending requests past the SLA become overdue).</summary>
    [Required]
    public string EscalationCron { get; set; } = "*/15 * * * *";

    /// <summary>Hangfire schema on SQL Server (several portal instances may share one database with one schema each).</summary>
    [Required]
    public string SqlServerSchema { get; set; } = "HangFire";
}

public static class PortalJobs
{
    public static IServiceCollection AddPortalJobs(this IServiceCollection services, IConfiguration configuration)
    {
        // Cron expressions are validated by Hangfire when the recurring jobs are registered at start-up (it throws on a bad one).
        services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        var options = configuration.GetSection(JobsOptions.SectionName).Get<JobsOptions>() ?? new JobsOptions();
        var provider = configuration.GetValue(DatabaseOptions.SectionName + ":" + nameof(DatabaseOptions.Provider), DatabaseProvider.Sqlite);
        var storage = options.Storage ?? (provider == DatabaseProvider.SqlServer ? JobStorageKind.SqlServer : JobStorageKind.InMemory);

        services.AddHangfire(c =>
        {
            c.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings();
            if (storage == JobStorageKind.SqlServer)
                c.UseSqlServerStorage(configuration.GetConnectionString("SqlServer"), new SqlServerStorageOptions
                {
                    SchemaName = options.SqlServerSchema,
                    PrepareSchemaIfNecessary = true,
                });
            else
                c.UseInMemoryStorage(new InMemoryStorageOptions { MaxExpirationTime = TimeSpan.FromHours(6) });
        });
        if (options.ServerEnabled)
            services.AddHangfireServer(o => o.WorkerCount = options.WorkerCount);
        return services;
    }

    /// <summary>Recurring jobs with explicit ids (re-registered at every start: in-memory storage forgets them).</summary>
    public static void RegisterPortalRecurringJobs(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<JobsOptions>>().Value;
        var jobs = app.Services.GetRequiredService<IRecurringJobManager>();
        jobs.AddOrUpdate<Features.ExitRequests.ExitEscalationJob>(Features.ExitRequests.ExitEscalationJob.JobId, j => j.RunAsync(CancellationToken.None),
            options.EscalationCron, new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
        var ownership = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Features.Ownership.OwnershipOptions>>().Value;
        jobs.AddOrUpdate<Features.Ownership.TransferExpiryJob>(Features.Ownership.TransferExpiryJob.JobId, j => j.RunAsync(CancellationToken.None),
            ownership.ExpiryCron, new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
        var sync = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Features.DeviceSync.DeviceSyncOptions>>().Value;
        jobs.AddOrUpdate<Features.DeviceSync.SyncCheckJob>(Features.DeviceSync.SyncCheckJob.JobId, j => j.RunAsync(CancellationToken.None),
            sync.CheckCron, new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
        var retention = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Features.Retention.RetentionOptions>>().Value;
        jobs.AddOrUpdate<Features.Retention.RetentionPurgeJob>(Features.Retention.RetentionPurgeJob.JobId, j => j.RunAsync(CancellationToken.None),
            retention.PurgeCron, new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
        var audit = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Features.Audit.AuditOptions>>().Value;
        jobs.AddOrUpdate<Features.Audit.AuditChainService>(Features.Audit.AuditChainService.VerifyJobId, j => j.RunVerificationAsync(CancellationToken.None),
            audit.VerifyCron, new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
        jobs.AddOrUpdate<Features.Audit.AuditCheckpoints>(Features.Audit.AuditCheckpoints.JobId, j => j.RunAsync(CancellationToken.None),
            audit.CheckpointCron, new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
        Features.BulkExits.BulkExitJobs.RegisterBulkExitJobs(app.Services);
        Features.Notifications.NotificationsFeature.ScheduleNotificationsJobs(app.Services);
        jobs.AddOrUpdate<DatabaseStatisticsJob>(DatabaseStatisticsJob.JobId, j => j.RunAsync(CancellationToken.None),
            "41 4 * * *", new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
        if (sync.SimulatorEnabled ?? DemoOptions.IsOn(app.Configuration))
            jobs.AddOrUpdate<Features.DeviceSync.DeviceSimulatorJob>(Features.DeviceSync.DeviceSimulatorJob.JobId, j => j.RunAsync(CancellationToken.None),
                "* * * * *", new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
        else
            jobs.RemoveIfExists(Features.DeviceSync.DeviceSimulatorJob.JobId);
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
