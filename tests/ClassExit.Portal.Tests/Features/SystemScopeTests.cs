using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace ClassExit.Portal.Tests.Features;

/// <summary>
/// ADR 0004: a tenant context's SQL carries a plain <c>OrganisationId = @tenant</c> (so (OrganisationId, …) indexes are usable), a
/// system context carries no tenant predicate at all, and cross-tenant reading happens only where the code says <c>ForSystem()</c>
/// on a fresh context. Own data on an in-memory SQLite database migrated with the real migrations.
/// </summary>
public class SystemScopeTests(ITestOutputHelper output)
{
    private static async Task<(SqliteTestDatabase Db, long Ours, long Theirs)> ArrangeAsync()
    {
        var database = await SqliteTestDatabase.CreateAsync();
        await using var db = database.CreateContext().ForSystem();
        var ours = new Organisation("Ours", "Asia/Shanghai", OrganisationKind.Education);
        var theirs = new Organisation("Theirs", "Asia/Shanghai", OrganisationKind.Finance);
        db.Organisations.AddRange(ours, theirs);
        await db.SaveChangesAsync();
        db.Members.AddRange(new Member(ours.Id, "王老师", "T1"), new Member(ours.Id, "李老师", "T2"), new Member(theirs.Id, "外部", "X1"));
        var now = DateTimeOffset.UtcNow;
        db.AuditEntries.AddRange(
            new AuditEntry(ours.Id, now, "test.ours", AuditOutcome.Succeeded, null, null, "system", "Organisation", ours.Id.ToString(), "c1"),
            new AuditEntry(theirs.Id, now, "test.theirs", AuditOutcome.Succeeded, null, null, "system", "Organisation", theirs.Id.ToString(), "c2"),
            new AuditEntry(null, now, "test.platform", AuditOutcome.Succeeded, null, null, "system", null, null, "c3", isSecurityEvent: true));
        await db.SaveChangesAsync();
        return (database, ours.Id, theirs.Id);
    }

    [Fact]
    public async Task TenantContext_EmitsPlainOrganisationPredicate_NoScopeParameter()
    {
        var (database, ours, _) = await ArrangeAsync();
        await using var _d = database;
        await using var db = database.CreateContext().ForTenant(ours);

        var members = db.Members.Where(m => m.DisplayName != "").ToQueryString();
        var audit = db.AuditEntries.OrderByDescending(a => a.Id).Take(5).ToQueryString();
        var organisation = db.Organisations.ToQueryString();
        output.WriteLine(members);
        output.WriteLine(audit);
        output.WriteLine(organisation);

        Assert.Contains("\"m\".\"OrganisationId\" = @", members);
        Assert.Contains("\"a\".\"OrganisationId\" = @", audit);
        Assert.Contains("\"o\".\"Id\" = @", organisation);
        foreach (var sql in new[] { members, audit, organisation })
        {
            Assert.DoesNotContain(" OR ", sql);
            Assert.DoesNotContain("_systemScope", sql);
        }
        Assert.Equal(2, await db.Members.CountAsync());
        Assert.Equal(["test.ours"], await db.AuditEntries.Select(a => a.Action).ToListAsync());
    }

    [Fact]
    public async Task SystemContext_HasNoTenantPredicate_AndSeesEveryOrganisation()
    {
        var (database, _, _) = await ArrangeAsync();
        await using var _d = database;
        await using var db = database.CreateContext().ForSystem();

        var sql = db.Members.ToQueryString();
        output.WriteLine(sql);
        Assert.DoesNotContain("OrganisationId\" =", sql);
        Assert.DoesNotContain("WHERE", sql);
        Assert.Equal(3, await db.Members.CountAsync());
        Assert.Equal(3, await db.AuditEntries.CountAsync());
        Assert.Equal(2, await db.Organisations.CountAsync());
    }

    [Fact]
    public async Task ContextWithoutScope_SeesNothing_NotEvenPlatformEntries()
    {
        var (database, _, _) = await ArrangeAsync();
        await using var _d = database;
        await using var db = database.CreateContext();
        Assert.Equal(0, await db.Members.CountAsync());
        Assert.Equal(0, await db.Organisations.CountAsync());
        Assert.Equal(0, await db.AuditEntries.CountAsync());
    }

    [Fact]
    public async Task ScopeIsFixedAtFirstUse_ForSystemAfterAQuery_Throws_AndTenantNeverTurnsSystem()
    {
        var (database, ours, theirs) = await ArrangeAsync();
        await using var _d = database;

        await using (var unscoped = database.CreateContext())
        {
            Assert.Equal(0, await unscoped.Members.CountAsync());
            Assert.Throws<InvalidOperationException>(() => unscoped.ForSystem());
            Assert.Equal(0, await unscoped.Members.CountAsync());
        }
        await using (var tenant = database.CreateContext().ForTenant(ours))
        {
            Assert.Equal(2, await tenant.Members.CountAsync());
            Assert.Throws<InvalidOperationException>(() => tenant.ForSystem());
            Assert.Equal(2, await tenant.Members.CountAsync());
            // Moving a tenant context to another tenant stays filtered (the tenant is a parameter of the same model).
            Assert.Equal(1, await tenant.ForTenant(theirs).Members.CountAsync());
        }
        await using (var system = database.CreateContext().ForSystem())
        {
            Assert.Equal(3, await system.Members.CountAsync());
            // A system model has no tenant filter: it must never be narrowed to a tenant and then trusted as one.
            Assert.Throws<InvalidOperationException>(() => system.ForTenant(ours));
        }
    }
}
