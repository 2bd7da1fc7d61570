using System.Net;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Features.ApiKeys;
using ClassExit.Portal.Features.BulkExits;
using ClassExit.Portal.Features.ReasonCodes;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Tests.Features.BulkExits;

[Collection(PortalCollection.Name)]
public class HrAdministrationTests(PortalFactory factory)
{
    [Fact]
    public async Task ApiKey_CreatedSecretWorksOnce_RevokedSecretIs401_AndStoredOnlyAsHash()
    {
        var (keys, scope) = await factory.ServiceAsAsync<ApiKeysService>("hr@school.demo");
        using var _ = scope;
        var owner = (await keys.OwnerOptionsAsync()).First();
        var created = (await keys.CreateAsync("人事系统同步", owner.MemberId, ApiScopes.All, DemoSeeder.Password)).Created!;

        var api = factory.WithKey(created.Secret);
        var me = await (await api.GetAsync("/api/v1/me")).JsonAsync();
        Assert.Equal("人事系统同步", me.GetProperty("key_name").GetString());
        Assert.Equal(owner.MemberId, me.GetProperty("owner_member_id").GetInt64());

        await using (var db = factory.SystemDb())
        {
            var stored = await db.ApiKeys.SingleAsync(k => k.Id == created.Id);
            Assert.NotEqual(created.Secret, stored.KeyHash);
            Assert.DoesNotContain(created.Secret, stored.KeyHash + stored.Prefix + stored.Name);
            Assert.NotNull(stored.LastUsedAt);
        }

        Assert.True((await keys.RevokeAsync(created.Id, DemoSeeder.Password)).Succeeded);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/me")).StatusCode);
        await using var check = factory.SystemDb();
        Assert.True(await check.AuditEntries.AnyAsync(a => a.Action == "api_key.revoked" && a.TargetId == created.Id.ToString()));
    }

    [Fact]
    public async Task ReasonCodes_AddedCodeIsUsable_RetiredCodeIs40001()
    {
        var (codes, scope) = await factory.ServiceAsAsync<ReasonCodesService>("hr@school.demo");
        using var _ = scope;
        Assert.NotNull(await codes.AddAsync("12345", "too short"));
        Assert.NotNull(await codes.AddAsync("200001", "duplicate"));
        Assert.Null(await codes.AddAsync("700001", "暑期实践结束"));
        var api = factory.WithKey(DemoSeeder.SchoolApiKey);
        var listed = (await (await api.GetAsync("/api/v1/reason-codes")).JsonAsync()).GetProperty("items").EnumerateArray()
            .Select(i => i.GetProperty("code").GetString()).ToList();
        Assert.Contains("700001", listed);

        var row = (await codes.ListAsync()).Single(r => r.Code == "700001");
        await codes.RetireAsync(row.Id);
        listed = (await (await api.GetAsync("/api/v1/reason-codes")).JsonAsync()).GetProperty("items").EnumerateArray()
            .Select(i => i.GetProperty("code").GetString()).ToList();
        Assert.DoesNotContain("700001", listed);
    }

    [Fact]
    public async Task QuotaIncrease_RequestedByOrganisation_ApprovedByPlatformOperator_RaisesLimit()
    {
        // Demo Finance asks; the platform operator (an account of no organisation) decides across organisations.
        var (finance, s1) = await factory.ServiceAsAsync<QuotaRequestsService>("admin@finance.demo");
        var (platform, s2) = await factory.ServiceAsAsync<QuotaRequestsService>("operator@platform.demo");
        var (school, s3) = await factory.ServiceAsAsync<QuotaRequestsService>("admin@school.demo");
        using var _1 = s1;
        using var _2 = s2;
        using var _3 = s3;

        Assert.NotNull(await finance.RequestAsync(100, "lower than now"));
        Assert.Null(await finance.RequestAsync(2000, "年末组织调整"));
        Assert.NotNull(await finance.RequestAsync(3000, "a second pending request"));
        var refused = await school.PendingForPlatformAsync();
        Assert.Equal(ClassExit.Portal.Domain.Errors.ErrorCatalogue.Forbidden, refused.Code);
        Assert.Empty(refused.Pending);

        var (code, pending) = await platform.PendingForPlatformAsync();
        Assert.Null(code);
        var request = Assert.Single(pending, p => p.OrganisationName == DemoSeeder.FinanceName);
        Assert.Null(await platform.DecideAsync(request.Id, approve: true, "ok"));
        Assert.Equal(ClassExit.Portal.Domain.Errors.ErrorCatalogue.RequestAlreadyDecided, await platform.DecideAsync(request.Id, approve: false, "twice"));

        var quota = await (await factory.WithKey(DemoSeeder.FinanceApiKey).GetAsync("/api/v1/quota")).JsonAsync();
        Assert.Equal(2000, quota.GetProperty("limit").GetInt32());
        await using var db = factory.SystemDb();
        var financeOrg = await factory.OrganisationIdAsync(DemoSeeder.FinanceName);
        Assert.True(await db.AuditEntries.AnyAsync(a => a.OrganisationId == financeOrg && a.Action == "quota.increase_approved"));
    }
}
