using System.ComponentModel.DataAnnotations;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Data.Seed;
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Infrastructure;

/// <summary>The <c>Demo</c> configuration section.</summary>
public sealed class DemoOptions
{
    public const string SectionName = "Demo";

    /// <summary>Seed the demo organisations on first start. Null: on with SQLite, off with SQL Server.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Demo data on SQL Server is refused unless this is set explicitly.</summary>
    public bool AllowWithSqlServer { get; set; }

    /// <summary>
    /// Demo only: moves the portal's clock forward by this many days (e.g. 31 to see 30-day retention end). Ignored outside demo mode.
    /// </summary>
    [Range(0, 3650)]
    public int ClockOffsetDays { get; set; }

    /// <summary>Demo mode: <see cref="Enabled"/> when set, else on with SQLite and off with SQL Server. The one place this is decided.</summary>
    public static bool IsOn(IConfiguration configuration) =>
        configuration.GetValue<bool?>(SectionName + ":" + nameof(Enabled))
            ?? configuration.GetValue(DatabaseOptions.SectionName + ":" + nameof(DatabaseOptions.Provider), DatabaseProvider.Sqlite) == DatabaseProvider.Sqlite;
}

public static class PortalData
{
    public static IServiceCollection AddPortalData(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DemoOptions>().BindConfiguration(DemoOptions.SectionName);
        var offsetDays = DemoOptions.IsOn(configuration) ? configuration.GetValue(DemoOptions.SectionName + ":" + nameof(DemoOptions.ClockOffsetDays), 0) : 0;
        services.AddSingleton<TimeProvider>(offsetDays == 0 ? TimeProvider.System : new OffsetTimeProvider(TimeSpan.FromDays(offsetDays)));

        var provider = configuration.GetValue(DatabaseOptions.SectionName + ":" + nameof(DatabaseOptions.Provider), DatabaseProvider.Sqlite);
        var connectionString = ResolveConnectionString(configuration, environment, provider);
        services.AddDbContextFactory<PortalDbContext>((sp, o) => o.UsePortalProvider(provider, connectionString)
            .AddInterceptors(sp.GetServices<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor>()));
        services.AddSingleton<DatabaseStatisticsJob>();
        services.AddDatabaseDeveloperPageExceptionFilter();
        return services;
    }

    public static string ResolveConnectionString(IConfiguration configuration, IHostEnvironment environment, DatabaseProvider provider)
    {
        if (provider == DatabaseProvider.SqlServer)
            return configuration.GetConnectionString("SqlServer")
                ?? throw new ValidationException("Database:Provider is SqlServer but ConnectionStrings:SqlServer is not set.");

        var configured = configuration.GetConnectionString("Sqlite");
        var builder = new SqliteConnectionStringBuilder(string.IsNullOrWhiteSpace(configured) ? "Data Source=App_Data/classexit.db" : configured);
        if (builder.DataSource != ":memory:" && !Path.IsPathRooted(builder.DataSource))
            builder.DataSource = Path.Combine(environment.ContentRootPath, builder.DataSource);
        if (builder.DataSource != ":memory:")
            Directory.CreateDirectory(Path.GetDirectoryName(builder.DataSource)!);
        builder.DefaultTimeout = 30;
        return builder.ToString();
    }

    /// <summary>Migrates (or, without <c>Database:MigrateOnStart</c>, refuses a schema that is behind: <see cref="Schema.PortalStartupException"/>),
    /// ensures roles, seeds demo data when in demo mode. Runs before the app serves requests.</summary>
    public static async Task InitialisePortalDatabaseAsync(this WebApplication app)
    {
        var dbOptions = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DatabaseOptions>>().Value;
        var demo = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DemoOptions>>().Value;
        var demoEnabled = DemoOptions.IsOn(app.Configuration);
        if (demoEnabled && dbOptions.Provider == DatabaseProvider.SqlServer && !demo.AllowWithSqlServer)
            throw new InvalidOperationException("Demo mode is refused on SQL Server. Set Demo:Enabled=false, or Demo:AllowWithSqlServer=true to seed demo data there on purpose.");

        await using var scope = app.Services.CreateAsyncScope();
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using (var db = await factory.CreateDbContextAsync())
        {
            if (dbOptions.Provider == DatabaseProvider.Sqlite)
            {
                // WAL lets the portal read while a job writes.
                await db.Database.OpenConnectionAsync();
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
                await db.Database.CloseConnectionAsync();
            }
            if (Schema.PortalMigrations.MigrateOnStart(app.Configuration, app.Environment)) await db.Database.MigrateAsync();
            else await Schema.PortalMigrations.EnsureSchemaCurrentAsync(db, app.Logger);
        }

        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in PortalRoles.All)
            if (!await roles.RoleExistsAsync(role))
                await roles.CreateAsync(new IdentityRole(role));

        if (demoEnabled)
        {
            await using var db = await factory.CreateDbContextAsync();
            var seeder = new DemoSeeder(db, scope.ServiceProvider.GetRequiredService<IPasswordHasher<PortalUser>>(),
                scope.ServiceProvider.GetRequiredService<ILookupNormalizer>(), app.Services.GetRequiredService<TimeProvider>());
            if (await seeder.SeedAsync()) app.Logger.LogInformation("Demo data seeded.");
            app.Lifetime.ApplicationStarted.Register(() => PrintBanner(app));
        }
        else
        {
            // A deployment without demo data starts with no account: say how to create the first admin (the console command).
            await using var db = (await factory.CreateDbContextAsync()).ForSystem();
            if (!await db.Users.AnyAsync())
                app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine(string.Join(Environment.NewLine,
                    "",
                    "ClassExit.Portal: 尚无任何账号 / no account yet. 创建第一位企业管理员 / create the first enterprise admin:",
                    "  dotnet ClassExit.Portal.dll create-first-admin --organisation \"Name\" --email admin@example.org --name \"Display name\" [--time-zone Asia/Shanghai] [--kind Education|Enterprise|Finance]",
                    "")));
        }

        // The planner's statistics for what is there now (SQLite; milliseconds); the daily job keeps them current as data grows.
        await app.Services.GetRequiredService<DatabaseStatisticsJob>().RunAsync(CancellationToken.None);
    }

    private static void PrintBanner(WebApplication app)
    {
        var urls = string.Join(", ", app.Urls);
        var lines = new List<string>
        {
            "",
            "ClassExit.Portal is running (demo mode, SQLite).",
            $"  Open: {urls}",
            $"  Demo sign-ins (password {DemoSeeder.Password}):",
        };
        lines.AddRange(DemoSeeder.SignIns.Select(s => $"    {s.Email,-26} {s.Role} — {s.Organisation}"));
        lines.Add($"  API keys: {DemoSeeder.SchoolApiKey} (Demo School), {DemoSeeder.FinanceApiKey} (Demo Finance)");
        lines.Add("  Jobs dashboard: /jobs (platform operators, read-only); admins: /job-runs   OpenAPI: /openapi/v1.json   Health: /health");
        lines.Add("");
        Console.WriteLine(string.Join(Environment.NewLine, lines));
    }
}

/// <summary>The system clock moved by a fixed offset (demo setting <c>Demo:ClockOffsetDays</c>).</summary>
internal sealed class OffsetTimeProvider(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
}
