using System.Net;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Tests.Features.ApiKeys;

/// <summary>A key speaks for its owner and stops when the owner loses HR permission or leaves the organisation.</summary>
[Collection(PortalCollection.Name)]
public class ApiKeyOwnerTests(PortalFactory factory)
{
    /// <summary>An organisation of its own (so that no other test picks this owner), an HR owner and a key with every scope.</summary>
    private async Task<(long OwnerId, string Secret)> OwnerWithKeyAsync(string name)
    {
        var secret = "owner-test-" + Guid.NewGuid().ToString("N");
        await using var db = factory.SystemDb();
        var org = new Organisation($"{name} {Guid.NewGuid():N}", "Asia/Shanghai", OrganisationKind.Enterprise);
        db.Organisations.Add(org);
        await db.SaveChangesAsync();
        var owner = new Member(org.Id, "HR 密钥所有者", "KO-1");
        owner.GrantHrPermission();
        db.Members.Add(owner);
        await db.SaveChangesAsync();
        db.ApiKeys.Add(new ApiKey(org.Id, "所有者测试", owner.Id, secret, DateTimeOffset.UtcNow));
        await db.SaveChangesAsync();
        return (owner.Id, secret);
    }

    private async Task ChangeOwnerAsync(long ownerId, Action<Member> change)
    {
        await using var db = factory.SystemDb();
        change(await db.Members.SingleAsync(m => m.Id == ownerId));
        await db.SaveChangesAsync();
    }

    private static async Task AssertUnauthenticatedAsync(HttpClient api, string path)
    {
        var response = await api.GetAsync(path);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(40101, (await response.JsonAsync()).GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task OwnerLosesHrPermission_KeyAnswers401_AndWorksAgainWhenRestored()
    {
        var (owner, secret) = await OwnerWithKeyAsync("HR revoked");
        var api = factory.WithKey(secret);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/me")).StatusCode);

        await ChangeOwnerAsync(owner, m => m.GrantHrPermission(false));
        await AssertUnauthenticatedAsync(api, "/api/v1/me");
        await AssertUnauthenticatedAsync(api, "/api/v1/quota");

        await ChangeOwnerAsync(owner, m => m.GrantHrPermission());
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task OwnerHasLeft_KeyAnswers401_WhileLeavingItStillWorks()
    {
        var (owner, secret) = await OwnerWithKeyAsync("Owner left");
        var api = factory.WithKey(secret);

        await ChangeOwnerAsync(owner, m => m.SetResignation(ResignationState.InProgress));
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/me")).StatusCode);

        await ChangeOwnerAsync(owner, m => m.SetResignation(ResignationState.Completed));
        await AssertUnauthenticatedAsync(api, "/api/v1/me");
        await AssertUnauthenticatedAsync(api, "/api/v1/classes");
    }
}
