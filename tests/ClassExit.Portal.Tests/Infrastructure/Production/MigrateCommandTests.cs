using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Infrastructure.Schema;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClassExit.Portal.Tests.Infrastructure.Production;

/// <summary>ADR 0012: the schema is changed by <c>migrate</c> with its own connection; a portal that does not migrate refuses a schema behind it.</summary>
public sealed class MigrateCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("classexit-migrate-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static ServiceProvider AppServices()
    {
        var services = new ServiceCollection();
        services.AddOptions<Microsoft.AspNetCore.Identity.IdentityOptions>().Configure(PortalIdentityOptions.Configure);
        return services.BuildServiceProvider();
    }

    private PortalDbContext Runtime(string file) =>
        new PortalDbContext(new DbContextOptionsBuilder<PortalDbContext>()
            .UsePortalProvider(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(_directory, file)};Pooling=False")
            .UseApplicationServiceProvider(AppServices()).Options).ForSystem();

    [Fact]
    public async Task EmptyDatabase_IsRefused_ThenMigrateWithThePrivilegedConnection_LetsItStart()
    {
        await using (var db = Runtime("portal.db"))
        {
            var refused = await Assert.ThrowsAsync<PortalStartupException>(() => PortalMigrations.EnsureSchemaCurrentAsync(db, NullLogger.Instance));
            Assert.Equal(ErrorCatalogue.SchemaBehind, refused.Code);
            Assert.Contains("[51001]", refused.Message);
            Assert.Contains(ErrorCatalogue.Get(51001).MessageZh, refused.Message);
            Assert.Contains(ErrorCatalogue.Get(51001).MessageEn, refused.Message);
            Assert.Contains("_DataProtectionKeys", refused.Message);
        }

        // The runtime connection names a file the migration connection does not: migrate must use ConnectionStrings:SqliteMigrations.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Sqlite"] = "Data Source=elsewhere.db",
            ["ConnectionStrings:SqliteMigrations"] = "Data Source=portal.db;Pooling=False",
            ["Demo:Enabled"] = "false",
        }).Build();
        var output = new StringWriter();
        await using var services = AppServices();
        var exit = await PortalMigrations.RunAsync(services, configuration, new Environment(_directory), output);
        Assert.True(exit == 0, output.ToString());
        Assert.Contains("ConnectionStrings:SqliteMigrations", output.ToString());
        Assert.Contains("applying", output.ToString());
        Assert.False(File.Exists(Path.Combine(_directory, "elsewhere.db")));

        await using (var db = Runtime("portal.db"))
        {
            await PortalMigrations.EnsureSchemaCurrentAsync(db, NullLogger.Instance);
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
            Assert.Equal(0, await db.DataProtectionKeys.CountAsync());
        }

        // Run again: nothing to apply.
        output = new StringWriter();
        Assert.Equal(0, await PortalMigrations.RunAsync(services, configuration, new Environment(_directory), output));
        Assert.Contains("already current", output.ToString());
    }

    [Theory]
    [InlineData("Production", null, false)]
    [InlineData("Production", "true", true)]
    [InlineData("Development", "false", true)]
    public void MigrateOnStart_DefaultsToOff_OutsideDevelopmentAndDemo(string environment, string? demo, bool expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "SqlServer", // demo mode is off by default with SQL Server
            ["Demo:Enabled"] = demo,
        }).Build();
        Assert.Equal(expected, PortalMigrations.MigrateOnStart(configuration, new Environment(_directory) { EnvironmentName = environment }));
        var explicitOff = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Database:MigrateOnStart"] = "false" }).Build();
        Assert.False(PortalMigrations.MigrateOnStart(explicitOff, new Environment(_directory) { EnvironmentName = "Development" }));
    }

    private sealed class Environment(string root) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = Environments.Production;
        public string ApplicationName { get; set; } = "ClassExit.Portal";
        public string ContentRootPath { get; set; } = root;
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
