using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ClassExit.Portal.Tests.Infrastructure;

/// <summary>
/// A real SQLite database in memory (the connection stays open), migrated with the real SQLite migrations,
/// for component and service tests that do not need the whole host.
/// </summary>
public sealed class SqliteTestDatabase : IAsyncDisposable
{
    private readonly SqliteConnection _connection = new("Data Source=:memory:");
    private readonly IServiceProvider _appServices;

    private SqliteTestDatabase()
    {
        var services = new ServiceCollection();
        services.AddOptions<IdentityOptions>().Configure(PortalIdentityOptions.Configure);
        // Audit entries are sealed when saved: this database's own key.
        services.AddSingleton<ClassExit.Portal.Domain.Audit.IAuditKeyRing>(new ClassExit.Portal.Domain.Audit.AuditKeys("test", [ClassExit.Portal.Domain.Audit.AuditKeys.NewKey("test")]));
        _appServices = services.BuildServiceProvider();
    }

    public static async Task<SqliteTestDatabase> CreateAsync()
    {
        var db = new SqliteTestDatabase();
        await db._connection.OpenAsync();
        await using var context = db.CreateContext().ForSystem();
        await context.Database.MigrateAsync();
        return db;
    }

    public void Configure(DbContextOptionsBuilder builder) =>
        builder.UseSqlite(_connection, o => o.MigrationsAssembly(PortalDbContextConfigurator.SqliteMigrationsAssembly))
            .UseApplicationServiceProvider(_appServices);

    public PortalDbContext CreateContext()
    {
        var builder = new DbContextOptionsBuilder<PortalDbContext>();
        Configure(builder);
        return new PortalDbContext(builder.Options);
    }

    /// <summary>Registers the context factory and a signed-in user of <paramref name="organisationId"/>.</summary>
    public void AddTo(IServiceCollection services, long organisationId, long? memberId = null, params string[] roles)
    {
        services.AddDbContextFactory<PortalDbContext>(Configure);
        services.AddSingleton<ICurrentUser>(FixedCurrentUser.Of(organisationId, memberId, null, roles));
        services.AddScoped<TenantDb>();
        services.AddSingleton(TimeProvider.System);
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
