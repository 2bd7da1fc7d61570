using System.Net;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Features.ApiKeys;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Tests.Features.ApiKeys;

/// <summary>Keys are created with their scopes, by those who may manage keys, and bad input is a catalogue code.</summary>
[Collection(PortalCollection.Name)]
public class ApiKeysServiceTests(PortalFactory factory)
{
    [Fact]
    public async Task Create_WithScopes_StoresThemAuditsThem_AndTheKeyIsHeldToThem()
    {
        var (keys, scope) = await factory.ServiceAsAsync<ApiKeysService>("hr@school.demo");
        using var _ = scope;
        var owner = (await keys.OwnerOptionsAsync()).First();
        var result = await keys.CreateAsync("只读报表", owner.MemberId, [ApiScopes.Read, ApiScopes.Devices, ApiScopes.Read], DemoSeeder.Password);
        Assert.Null(result.Code);
        var created = result.Created!;
        Assert.Equal([ApiScopes.Read, ApiScopes.Devices], created.Scopes);
        Assert.Equal(created.Scopes, (await keys.ListAsync()).Single(k => k.Id == created.Id).Scopes);

        await using (var db = factory.SystemDb())
        {
            var audit = await db.AuditEntries.SingleAsync(a => a.Action == "api_key.created" && a.TargetId == created.Id.ToString());
            Assert.Contains("\"scopes\":[\"read\",\"devices\"]", audit.Details);
        }

        var api = factory.WithKey(created.Secret);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/classes")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await api.GetAsync("/api/v1/quota")).StatusCode);
    }

    public static TheoryData<string, string[], int> BadInput() => new()
    {
        { "", [ApiScopes.Read], 40002 },
        { "   ", [ApiScopes.Read], 40002 },
        { new string('k', 101), [ApiScopes.Read], 40003 },
        { "no scope", [], 40002 },
        { "unknown scope", [ApiScopes.Read, "admin"], 40002 },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public async Task Create_BadInput_IsACatalogueCode_AndCreatesNothing(string name, string[] scopes, int code)
    {
        var (keys, scope) = await factory.ServiceAsAsync<ApiKeysService>("hr@school.demo");
        using var _ = scope;
        var owner = (await keys.OwnerOptionsAsync()).First();
        var before = (await keys.ListAsync()).Count;
        Assert.Equal(code, (await keys.CreateAsync(name, owner.MemberId, scopes, DemoSeeder.Password)).Code);
        Assert.Equal(before, (await keys.ListAsync()).Count);
    }

    [Fact]
    public async Task Create_OwnerWithoutHrPermission_40301()
    {
        var (keys, scope) = await factory.ServiceAsAsync<ApiKeysService>("hr@school.demo");
        using var _ = scope;
        var school = await factory.OrganisationIdAsync(ClassExit.Portal.Data.Seed.DemoSeeder.SchoolName);
        await using var db = factory.SystemDb();
        var notHr = await db.Members.Where(m => m.OrganisationId == school && !m.HasHrPermission).Select(m => m.Id).FirstAsync();
        Assert.Equal(40301, (await keys.CreateAsync("无 HR 权限", notHr, ApiScopes.All, DemoSeeder.Password)).Code);
    }

    [Theory]
    [InlineData("auditor@school.demo")]
    [InlineData("teacher@school.demo")]
    public async Task CreateAndRevoke_ByWhoMayNotManageKeys_40302_AuditedAndNothingChanges(string email)
    {
        var (hrKeys, s1) = await factory.ServiceAsAsync<ApiKeysService>("hr@school.demo");
        var (keys, s2) = await factory.ServiceAsAsync<ApiKeysService>(email);
        using var _1 = s1;
        using var _2 = s2;
        var owner = (await hrKeys.OwnerOptionsAsync()).First();
        var existing = (await hrKeys.CreateAsync("保留的密钥", owner.MemberId, ApiScopes.All, DemoSeeder.Password)).Created!;
        await using var before = factory.SystemDb();
        var user = await before.Users.SingleAsync(u => u.Email == email);
        var keysBefore = await before.ApiKeys.CountAsync();

        Assert.Equal(40302, (await keys.CreateAsync("无权创建", owner.MemberId, ApiScopes.All, DemoSeeder.Password)).Code);
        Assert.Equal(40302, (await keys.RevokeAsync(existing.Id, DemoSeeder.Password)).Code);

        await using var db = factory.SystemDb();
        Assert.Equal(keysBefore, await db.ApiKeys.CountAsync());
        Assert.True((await db.ApiKeys.SingleAsync(k => k.Id == existing.Id)).IsActive);
        var refusals = await db.AuditEntries.Where(a => a.ActorUserId == user.Id && a.Action == "access.refused" && a.TargetType == "ApiKey")
            .OrderBy(a => a.Id).ToListAsync();
        Assert.Equal(2, refusals.Count);
        Assert.All(refusals, a => Assert.Equal((AuditOutcome.Refused, 40302), (a.Outcome, a.Code!.Value)));
        Assert.Equal(existing.Id.ToString(), refusals[1].TargetId);
    }

    [Fact]
    public async Task Revoke_UnknownKey_40401_AndTwice_ChangesNothingMore()
    {
        var (keys, scope) = await factory.ServiceAsAsync<ApiKeysService>("hr@school.demo");
        using var _ = scope;
        Assert.Equal(40401, (await keys.RevokeAsync(987_654_321, DemoSeeder.Password)).Code);
        var owner = (await keys.OwnerOptionsAsync()).First();
        var created = (await keys.CreateAsync("吊销两次", owner.MemberId, [ApiScopes.Read], DemoSeeder.Password)).Created!;
        Assert.True((await keys.RevokeAsync(created.Id, DemoSeeder.Password)).Succeeded);
        Assert.True((await keys.RevokeAsync(created.Id, DemoSeeder.Password)).Succeeded);
        await using var db = factory.SystemDb();
        Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == "api_key.revoked" && a.TargetId == created.Id.ToString()));
    }
}
