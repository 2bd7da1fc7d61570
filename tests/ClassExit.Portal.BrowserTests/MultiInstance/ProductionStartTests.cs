using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace ClassExit.Portal.BrowserTests.MultiInstance;

/// <summary>
/// The built portal started as production starts it (Production environment, no demo data, no DDL at run time): it refuses a schema
/// that is behind with its catalogue code, <c>migrate</c> applies the schema with the privileged connection, the portal then starts and
/// says how to create the first admin, and <c>create-first-admin</c> creates it.
/// </summary>
[Collection(PortalProcesses.Name)]
public sealed class ProductionStartTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("classexit-prod-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private Dictionary<string, string> Settings() => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Demo__Enabled"] = "false",
        // The runtime connection; migrate uses the privileged one (on SQLite: the same file, as SQL Server would have another account).
        ["ConnectionStrings__Sqlite"] = $"Data Source={Path.Combine(_directory, "portal.db")}",
        ["ConnectionStrings__SqliteMigrations"] = $"Data Source={Path.Combine(_directory, "portal.db")}",
        ["Jobs__Storage"] = "Sqlite",
        ["Audit__KeyDirectory"] = Path.Combine(_directory, "audit-keys"),
        ["Audit__GenerateKeys"] = "true",
        ["Audit__CheckpointFile"] = Path.Combine(_directory, "audit-checkpoints.jsonl"),
    };

    [Fact]
    public async Task BehindSchema_IsRefused_MigrateApplies_ThenThePortalStartsAndAsksForTheFirstAdmin()
    {
        await using (var behind = PortalInstance.Start("behind", Settings()))
        {
            Assert.Equal(1, await behind.WaitForExitAsync(TimeSpan.FromSeconds(240)));
            Assert.True(behind.Printed("[51001]"), behind.Output());
            Assert.True(behind.Printed("数据库结构落后于此版本的门户"), behind.Output());
            Assert.True(behind.Printed("dotnet ClassExit.Portal.dll migrate"), behind.Output());
            Assert.False(behind.Printed("   at "), "a stack trace was printed:\n" + behind.Output());
        }

        await using (var migrate = PortalInstance.Start("migrate", Settings(), "migrate"))
        {
            Assert.Equal(0, await migrate.WaitForExitAsync(TimeSpan.FromSeconds(240)));
            Assert.True(migrate.Printed("ConnectionStrings:SqliteMigrations"), migrate.Output());
            Assert.True(migrate.Printed("_DataProtectionKeys"), migrate.Output());
        }

        await using (var portal = PortalInstance.Start("portal", Settings()))
        {
            await portal.WaitHealthyAsync(TimeSpan.FromSeconds(240));
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!portal.Printed("create-first-admin") && DateTime.UtcNow < deadline) await Task.Delay(200);
            Assert.True(portal.Printed("create-first-admin"), portal.Output());
        }

        await using (var command = PortalInstance.Start("create-first-admin", Settings(), "create-first-admin", "--organisation", "Prod Test School",
                         "--email", "first.admin@prod-test.example", "--name", "First Admin", "--kind", "Education"))
        {
            Assert.True(await command.WaitForExitAsync(TimeSpan.FromSeconds(240)) == 0, command.Output());
        }
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "portal.db")};Pooling=False");
        await connection.OpenAsync();
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT COUNT(*) FROM AspNetUsers WHERE NormalizedEmail = 'FIRST.ADMIN@PROD-TEST.EXAMPLE'";
        Assert.Equal(1L, Convert.ToInt64(await query.ExecuteScalarAsync()));
    }
}
