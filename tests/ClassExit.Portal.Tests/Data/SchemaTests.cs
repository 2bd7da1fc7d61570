using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SqlServer.TransactSql.ScriptDom;

namespace ClassExit.Portal.Tests.Data;

public class SchemaTests
{
    /// <summary>The Identity model depends on IdentityOptions from the application's services: give test contexts the same.</summary>
    private static IServiceProvider AppServices()
    {
        var services = new ServiceCollection();
        services.AddOptions<Microsoft.AspNetCore.Identity.IdentityOptions>().Configure(PortalIdentityOptions.Configure);
        return services.BuildServiceProvider();
    }

    private static PortalDbContext Create(DatabaseProvider provider, string connectionString) =>
        new(new DbContextOptionsBuilder<PortalDbContext>()
            .UsePortalProvider(provider, connectionString)
            .UseApplicationServiceProvider(AppServices())
            .Options);

    [Fact]
    public void SqlServer_IdempotentMigrationScript_ParsesWithoutErrors()
    {
        using var db = Create(DatabaseProvider.SqlServer, "Server=unused;Database=unused;Trusted_Connection=True;TrustServerCertificate=True");
        var script = db.GetService<IMigrator>().GenerateScript(options: MigrationsSqlGenerationOptions.Idempotent);
        Assert.Contains("CREATE TABLE [Memberships]", script);
        Assert.Contains("IX_Memberships_OneOwnerPerClass", script);

        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        using var reader = new StringReader(script);
        parser.Parse(reader, out var errors);
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors.Select(e => $"{e.Line}:{e.Column} {e.Message}")));
    }

    /// <summary>
    /// The production tables that are not the portal's own: Hangfire's (its SQL Server installer's script, as <c>migrate</c> runs it) and
    /// the Data Protection key ring (the <c>DataProtectionKeys</c> migration alone), both parse as T-SQL.
    /// </summary>
    [Fact]
    public void SqlServer_HangfireAndDataProtectionScripts_ParseWithoutErrors()
    {
        using var db = Create(DatabaseProvider.SqlServer, "Server=unused;Database=unused;Trusted_Connection=True;TrustServerCertificate=True");
        var migrations = db.Database.GetMigrations().ToList();
        var dataProtection = migrations.Single(m => m.EndsWith("_DataProtectionKeys", StringComparison.Ordinal));
        var previous = migrations[migrations.IndexOf(dataProtection) - 1];
        var dpScript = db.GetService<IMigrator>().GenerateScript(previous, dataProtection, MigrationsSqlGenerationOptions.Idempotent);
        Assert.Contains("CREATE TABLE [DataProtectionKeys]", dpScript);
        Assert.Contains("[Xml] nvarchar(max)", dpScript);

        var hangfireScript = Hangfire.SqlServer.SqlServerObjectsInstaller.GetInstallScript("HangFire", enableHeavyMigrations: true);
        Assert.Contains("CREATE TABLE [HangFire].[Job]", hangfireScript);
        Assert.DoesNotContain("$(HangFireSchema)", hangfireScript);

        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        foreach (var (name, script) in new[] { ("DataProtectionKeys", dpScript), ("Hangfire", hangfireScript) })
        {
            using var reader = new StringReader(script);
            parser.Parse(reader, out var errors);
            Assert.True(errors.Count == 0, name + ": " + string.Join(Environment.NewLine, errors.Select(e => $"{e.Line}:{e.Column} {e.Message}")));
        }
    }

    [Fact]
    public void SqlServer_Model_HasNoPendingChanges()
    {
        using var db = Create(DatabaseProvider.SqlServer, "Server=unused;Database=unused;Trusted_Connection=True;TrustServerCertificate=True");
        Assert.False(db.Database.HasPendingModelChanges());
    }

    [Fact]
    public void Sqlite_Model_HasNoPendingChanges()
    {
        using var db = Create(DatabaseProvider.Sqlite, "Data Source=:memory:");
        Assert.False(db.Database.HasPendingModelChanges());
    }

    [Fact]
    public async Task Sqlite_OneOwnerIndex_RefusesASecondOwner()
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync();
        await using var db = new PortalDbContext(new DbContextOptionsBuilder<PortalDbContext>()
            .UseSqlite(connection, o => o.MigrationsAssembly(PortalDbContextConfigurator.SqliteMigrationsAssembly))
            .UseApplicationServiceProvider(AppServices()).Options).ForSystem();
        await db.Database.MigrateAsync();

        var org = new ClassExit.Portal.Domain.Organisations.Organisation("T", "Asia/Shanghai", ClassExit.Portal.Domain.Organisations.OrganisationKind.Education);
        db.Organisations.Add(org);
        await db.SaveChangesAsync();
        var a = new ClassExit.Portal.Domain.Members.Member(org.Id, "甲", "A1");
        var b = new ClassExit.Portal.Domain.Members.Member(org.Id, "乙", "B1");
        db.Members.AddRange(a, b);
        await db.SaveChangesAsync();
        var c = new ClassExit.Portal.Domain.Classes.ClassGroup(org.Id, "班", a.Id, new DateOnly(2027, 1, 1), DateTimeOffset.UtcNow);
        db.Classes.Add(c);
        await db.SaveChangesAsync();
        db.Memberships.Add(new ClassExit.Portal.Domain.Classes.Membership(org.Id, c.Id, a.Id, ClassExit.Portal.Domain.Classes.ClassRole.Owner, DateTimeOffset.UtcNow));
        await db.SaveChangesAsync();
        db.Memberships.Add(new ClassExit.Portal.Domain.Classes.Membership(org.Id, c.Id, b.Id, ClassExit.Portal.Domain.Classes.ClassRole.Owner, DateTimeOffset.UtcNow));
        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
    }
}
