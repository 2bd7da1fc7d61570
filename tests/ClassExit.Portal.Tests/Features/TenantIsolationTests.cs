using System.Net;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ClassExit.Portal.Tests.Features;

[Collection(PortalCollection.Name)]
public class TenantIsolationTests(PortalFactory factory)
{
    private async Task<(long School, long Finance, long SchoolClass, long FinanceClass)> IdsAsync()
    {
        var school = await factory.OrganisationIdAsync(DemoSeeder.SchoolName);
        var finance = await factory.OrganisationIdAsync(DemoSeeder.FinanceName);
        await using var db = factory.SystemDb();
        return (school, finance,
            await db.Classes.Where(c => c.OrganisationId == school).OrderBy(c => c.Id).Select(c => c.Id).FirstAsync(),
            await db.Classes.Where(c => c.OrganisationId == finance).OrderBy(c => c.Id).Select(c => c.Id).FirstAsync());
    }

    [Fact]
    public async Task QueryFilter_EveryTenantOwnedSet_SeesOnlyItsOrganisation()
    {
        var (school, finance, _, _) = await IdsAsync();
        var factoryDb = factory.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using var system = factoryDb.CreateDbContext().ForSystem();
        await using var scoped = factoryDb.CreateDbContext().ForTenant(school);
        var tenantTypes = system.Model.GetEntityTypes().Where(t => typeof(ITenantOwned).IsAssignableFrom(t.ClrType) && !t.IsOwned()).ToList();
        Assert.True(tenantTypes.Count >= 20, $"only {tenantTypes.Count} tenant-owned sets");

        var financeRowsSomewhere = 0;
        foreach (var type in tenantTypes)
        {
            var method = typeof(TenantIsolationTests).GetMethod(nameof(CountsAsync), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(type.ClrType);
            var (visible, visibleForeign, finance_) = await (Task<(int, int, int)>)method.Invoke(null, [system, scoped, school, finance])!;
            Assert.True(visibleForeign == 0, $"{type.ClrType.Name}: {visibleForeign} rows of another organisation visible");
            financeRowsSomewhere += finance_;
            _ = visible;
        }
        Assert.True(financeRowsSomewhere > 1000, "the test needs the other organisation's rows to exist");
    }

    private static async Task<(int Visible, int VisibleForeign, int Finance)> CountsAsync<T>(PortalDbContext system, PortalDbContext scoped, long school, long finance)
        where T : class, ITenantOwned =>
        (await scoped.Set<T>().CountAsync(),
         await scoped.Set<T>().CountAsync(e => e.OrganisationId != school),
         await system.Set<T>().CountAsync(e => e.OrganisationId == finance));

    [Fact]
    public async Task QueryFilter_NoTenant_SeesNothing()
    {
        await using var db = factory.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext();
        Assert.Equal(0, await db.Classes.CountAsync());
        Assert.Equal(0, await db.Members.CountAsync());
        Assert.Equal(0, await db.AuditEntries.CountAsync());
    }

    [Fact]
    public async Task Api_OtherOrganisationsClass_Is404With40401()
    {
        var (_, _, schoolClass, financeClass) = await IdsAsync();
        var finance = factory.WithKey(DemoSeeder.FinanceApiKey, "en");
        var response = await finance.GetAsync($"/api/v1/classes/{schoolClass}/members");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await response.JsonAsync();
        Assert.Equal(40401, problem.GetProperty("code").GetInt32());
        Assert.Equal("Class or member not found in this organisation.", problem.GetProperty("title").GetString());

        Assert.Equal(HttpStatusCode.OK, (await finance.GetAsync($"/api/v1/classes/{financeClass}/members")).StatusCode);
    }

    [Fact]
    public async Task Api_ClassList_ContainsOnlyOwnClasses()
    {
        var (school, _, _, _) = await IdsAsync();
        await using var db = factory.SystemDb();
        var schoolIds = (await db.Classes.Where(c => c.OrganisationId == school).Select(c => c.Id).ToListAsync()).ToHashSet();

        var body = await (await factory.WithKey(DemoSeeder.SchoolApiKey).GetAsync("/api/v1/classes?page_size=200")).JsonAsync();
        var ids = body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("class_id").GetInt64()).ToList();
        Assert.Equal(schoolIds.Count, body.GetProperty("total").GetInt32());
        Assert.NotEmpty(ids);
        Assert.All(ids, id => Assert.Contains(id, schoolIds));
    }

    [Fact]
    public async Task Pages_FinanceAdmin_CannotOpenSchoolClassOrMember()
    {
        var (_, _, schoolClass, financeClass) = await IdsAsync();
        long schoolMember;
        await using (var db = factory.SystemDb())
            schoolMember = await db.Classes.Where(c => c.Id == schoolClass).Select(c => c.OwnerMemberId).SingleAsync();
        var client = factory.CreateBrowserLikeClient();
        await factory.SignInAsync(client, "admin@finance.demo");

        var foreign = await (await client.GetAsync($"/classes/{schoolClass}")).Content.ReadAsStringAsync();
        Assert.Contains("class-not-found", foreign);
        var foreignMember = await (await client.GetAsync($"/members/{schoolMember}")).Content.ReadAsStringAsync();
        Assert.Contains("member-not-found", foreignMember);

        var own = WebUtility.HtmlDecode(await (await client.GetAsync($"/classes/{financeClass}")).Content.ReadAsStringAsync());
        Assert.Contains("class-name", own);
        Assert.Contains("销售培训班", own);
        Assert.DoesNotContain("Demo School", own);
    }
}
