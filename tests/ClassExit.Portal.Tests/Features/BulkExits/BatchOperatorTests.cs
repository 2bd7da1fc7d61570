using System.Net;
using System.Net.Http.Json;
using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Features.BulkExits;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ClassExit.Portal.Tests.Features.BulkExits;

/// <summary>operator_id is the key's owner: another HR member is 40303, a member without HR permission stays 40301 (api.md).</summary>
[Collection(PortalCollection.Name)]
public class BatchOperatorTests(PortalFactory factory)
{
    private sealed record Arranged(long OrganisationId, long Owner, long OtherHr, long NotHr, string Secret);

    /// <summary>An organisation of its own: the key's HR owner, a second HR member, a member without HR permission.</summary>
    private async Task<Arranged> ArrangeAsync()
    {
        var secret = "operator-test-" + Guid.NewGuid().ToString("N");
        await using var db = factory.SystemDb();
        var org = new Organisation($"Operator Rule Co {Guid.NewGuid():N}", "Asia/Shanghai", OrganisationKind.Enterprise);
        db.Organisations.Add(org);
        await db.SaveChangesAsync();
        var owner = new Member(org.Id, "HR 甲", "OR-1");
        var other = new Member(org.Id, "HR 乙", "OR-2");
        var plain = new Member(org.Id, "员工 丙", "OR-3");
        owner.GrantHrPermission();
        other.GrantHrPermission();
        db.Members.AddRange(owner, other, plain);
        db.ReasonCodes.Add(new ReasonCode(org.Id, "500001", "岗位调整"));
        await db.SaveChangesAsync();
        db.ApiKeys.Add(new ApiKey(org.Id, "操作人测试", owner.Id, secret, DateTimeOffset.UtcNow));
        await db.SaveChangesAsync();
        return new Arranged(org.Id, owner.Id, other.Id, plain.Id, secret);
    }

    private static Task<HttpResponseMessage> BatchAsync(HttpClient api, long operatorId, long memberId) =>
        api.PostAsync("/api/v1/exits/batch", JsonContent.Create(new { operator_id = operatorId, class_ids = new[] { 1 }, member_ids = new[] { memberId }, reason_code = "500001" }));

    [Fact]
    public async Task OperatorIsAnotherHrMember_40303_AuditedOnce_NoBatch_NoQuotaUsed()
    {
        var a = await ArrangeAsync();
        var api = factory.WithKey(a.Secret, "en");
        var response = await BatchAsync(api, a.OtherHr, a.NotHr);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = await response.JsonAsync();
        Assert.Equal(40303, problem.GetProperty("code").GetInt32());
        Assert.Contains("owner_member_id", problem.GetProperty("remedy").GetString());
        Assert.True(response.Headers.Contains("X-RateLimit-Remaining"));
        await using var db = factory.SystemDb();
        var refusal = Assert.Single(await db.AuditEntries.Where(x => x.OrganisationId == a.OrganisationId && x.Outcome == AuditOutcome.Refused).ToListAsync());
        Assert.Equal(("batch.refused", 40303), (refusal.Action, refusal.Code!.Value));
        Assert.Contains($"\"operator_id\":{a.OtherHr}", refusal.Details);
        Assert.Contains($"\"key_owner\":{a.Owner}", refusal.Details);
        Assert.False(await db.BatchExits.AnyAsync(b => b.OrganisationId == a.OrganisationId));
        Assert.Equal(0, (await (await api.GetAsync("/api/v1/quota")).JsonAsync()).GetProperty("used").GetInt32());
    }

    [Fact]
    public async Task OperatorWithoutHrPermission_Stays40301()
    {
        var a = await ArrangeAsync();
        var response = await BatchAsync(factory.WithKey(a.Secret), a.NotHr, a.NotHr);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(40301, (await response.JsonAsync()).GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task OperatorIsTheKeyOwner_BatchRunsInTheirName()
    {
        var a = await ArrangeAsync();
        var response = await BatchAsync(factory.WithKey(a.Secret), a.Owner, a.NotHr);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var batchId = (await response.JsonAsync()).GetProperty("batch_id").GetInt64();
        await using var db = factory.SystemDb();
        Assert.Equal(a.Owner, (await db.BatchExits.SingleAsync(b => b.Id == batchId)).OperatorMemberId);
    }

    /// <summary>
    /// The service holds without the endpoint's scope filter: a portal account may start a batch only as an HR operator (the bulk-exit
    /// form, issue 18); an enterprise admin without the HR role is refused like a key without exits:batch.
    /// </summary>
    [Fact]
    public async Task RunAsync_CalledAsAPortalAdminWithoutTheHrRole_40302_AuditedAndNothingRuns()
    {
        await using var lookup = factory.SystemDb();
        var user = await lookup.Users.SingleAsync(u => u.Email == "admin@school.demo");
        var current = FixedCurrentUser.Of(user.OrganisationId!.Value, user.MemberId, user.Id, ClassExit.Portal.Data.Identity.PortalRoles.EnterpriseAdmin);
        using var scope = factory.Services.CreateScope();
        var tenantDb = new TenantDb(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), current);
        var quota = ActivatorUtilities.CreateInstance<QuotaService>(scope.ServiceProvider, tenantDb);
        var exits = ActivatorUtilities.CreateInstance<ExitService>(scope.ServiceProvider, tenantDb);
        var authorizer = ActivatorUtilities.CreateInstance<ClassExit.Portal.Infrastructure.Authorization.PortalAuthorizer>(scope.ServiceProvider, tenantDb);
        var batches = ActivatorUtilities.CreateInstance<BatchExitService>(scope.ServiceProvider, tenantDb, quota, exits, authorizer);
        var batchesBefore = await lookup.BatchExits.CountAsync(b => b.OrganisationId == user.OrganisationId);

        var outcome = await batches.RunAsync(new BatchRequest(user.MemberId ?? 1, [1], [1], "200001", false, false), null);

        Assert.Equal((403, 40302), (outcome.HttpStatus, outcome.Code!.Value));
        await using var db = factory.SystemDb();
        Assert.Equal(batchesBefore, await db.BatchExits.CountAsync(b => b.OrganisationId == user.OrganisationId));
        var refusal = await db.AuditEntries.Where(x => x.ActorUserId == user.Id && x.Action == "access.refused" && x.TargetType == "BatchExit").SingleAsync();
        Assert.Contains("RunBatch", refusal.Details);
    }
}
