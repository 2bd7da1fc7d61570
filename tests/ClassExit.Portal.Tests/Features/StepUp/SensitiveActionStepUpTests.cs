using ClassExit.Portal.Infrastructure.Authorization;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Features.ApiKeys;
using ClassExit.Portal.Features.Ownership;
using ClassExit.Portal.Features.Retention;
using ClassExit.Portal.Tests.Features.ExitRequests;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Tests.Features.StepUp;

/// <summary>
/// Dissolving a class, releasing a legal hold, running a purge now and creating or revoking an API key ask for step-up: a wrong
/// password is refused with 50404, changes nothing and is a security event (the right one, afterwards, does the change).
/// </summary>
[Collection(PortalCollection.Name)]
public class SensitiveActionStepUpTests(PortalFactory factory)
{
    private const string Wrong = "not-my-password";

    [Fact]
    public async Task Dissolve_WrongPassword_Refused_ClassUnchanged()
    {
        var (classId, _, members) = await ExitApiTests.ClassAsync(factory, "高一(9)班");
        var (dissolution, scope) = await factory.ServiceAsAsync<DissolutionService>("admin@school.demo");
        using var _ = scope;
        var failures = await FailuresAsync("class.dissolved");

        Assert.Equal(ErrorCatalogue.StepUpFailed, (await dissolution.DissolveAsync(classId, "学期结束合班", Wrong)).Code);
        await using (var db = factory.SystemDb())
        {
            Assert.Equal(ClassStatus.Active, (await db.Classes.SingleAsync(c => c.Id == classId)).Status);
            Assert.Equal(members.Count, await db.Memberships.Where(Membership.Current).CountAsync(m => m.ClassId == classId));
            Assert.False(await db.AuditEntries.AnyAsync(a => a.Action == "class.dissolved" && a.ClassId == classId));
        }
        Assert.Equal(failures + 1, await FailuresAsync("class.dissolved"));

        Assert.True((await dissolution.DissolveAsync(classId, "学期结束合班", DemoSeeder.Password)).Succeeded);
        await using var after = factory.SystemDb();
        Assert.Equal(ClassStatus.Dissolved, (await after.Classes.SingleAsync(c => c.Id == classId)).Status);
    }

    [Fact]
    public async Task ReleaseHold_WrongPassword_Refused_HoldStays()
    {
        var (classId, _, _) = await ExitApiTests.ClassAsync(factory, "高一(8)班");
        var (retention, scope) = await factory.ServiceAsAsync<RetentionService>("admin@school.demo");
        using var _ = scope;
        Assert.Null(await retention.PlaceHoldAsync(classId, null, "诉讼保全（步进验证）", null));
        var holdId = (await retention.HoldsAsync()).Single(h => h.ClassId == classId && h.Active).Id;
        var failures = await FailuresAsync("legal_hold.released");

        Assert.Equal(ErrorCatalogue.StepUpFailed, await retention.ReleaseHoldAsync(holdId, Wrong));
        await using (var db = factory.SystemDb())
        {
            Assert.Null((await db.LegalHolds.SingleAsync(h => h.Id == holdId)).ReleasedAt);
            Assert.False(await db.AuditEntries.AnyAsync(a => a.Action == "legal_hold.released" && a.TargetId == holdId.ToString()));
        }
        Assert.Equal(failures + 1, await FailuresAsync("legal_hold.released"));

        Assert.Null(await retention.ReleaseHoldAsync(holdId, DemoSeeder.Password));
        await using var after = factory.SystemDb();
        Assert.NotNull((await after.LegalHolds.SingleAsync(h => h.Id == holdId)).ReleasedAt);
    }

    [Fact]
    public async Task RunNow_WrongPassword_Refused_NothingQueued()
    {
        var (retention, scope) = await factory.ServiceAsAsync<RetentionService>("admin@school.demo");
        using var _ = scope;
        await using var db = factory.SystemDb();
        var requested = await db.AuditEntries.CountAsync(a => a.Action == "retention.run_requested");
        var runs = await db.RetentionRuns.CountAsync();
        var failures = await FailuresAsync("retention.run_requested");

        var (code, jobId) = await retention.RunNowAsync(Wrong);
        Assert.Equal(ErrorCatalogue.StepUpFailed, code);
        Assert.Null(jobId);
        Assert.Equal(requested, await db.AuditEntries.CountAsync(a => a.Action == "retention.run_requested"));
        Assert.Equal(runs, await db.RetentionRuns.CountAsync());
        Assert.Equal(failures + 1, await FailuresAsync("retention.run_requested"));
    }

    [Fact]
    public async Task ApiKeys_WrongPassword_CreateAndRevokeRefused_NothingChanges()
    {
        var (keys, scope) = await factory.ServiceAsAsync<ApiKeysService>("hr@school.demo");
        using var _ = scope;
        var owner = (await keys.OwnerOptionsAsync()).First();
        var createFailures = await FailuresAsync("api_key.created");

        var refused = await keys.CreateAsync("步进验证失败的密钥", owner.MemberId, [ApiScopes.Read], Wrong);
        Assert.Equal(ErrorCatalogue.StepUpFailed, refused.Code);
        Assert.Null(refused.Created);
        await using (var db = factory.SystemDb())
            Assert.False(await db.ApiKeys.AnyAsync(k => k.Name == "步进验证失败的密钥"));
        Assert.Equal(createFailures + 1, await FailuresAsync("api_key.created"));

        var created = (await keys.CreateAsync("步进验证吊销", owner.MemberId, [ApiScopes.Read], DemoSeeder.Password)).Created!;
        var revokeFailures = await FailuresAsync("api_key.revoked");
        Assert.Equal(ErrorCatalogue.StepUpFailed, (await keys.RevokeAsync(created.Id, Wrong)).Code);
        await using (var db = factory.SystemDb())
        {
            Assert.Null((await db.ApiKeys.SingleAsync(k => k.Id == created.Id)).RevokedAt);
            Assert.False(await db.AuditEntries.AnyAsync(a => a.Action == "api_key.revoked" && a.TargetId == created.Id.ToString()));
        }
        Assert.Equal(revokeFailures + 1, await FailuresAsync("api_key.revoked"));
        Assert.True((await keys.RevokeAsync(created.Id, DemoSeeder.Password)).Succeeded);
    }

    /// <summary>Failed step-ups for <paramref name="purpose"/>, each a security event.</summary>
    private async Task<int> FailuresAsync(string purpose)
    {
        await using var db = factory.SystemDb();
        return await db.AuditEntries.CountAsync(a => a.Action == "security.step_up_failed" && a.IsSecurityEvent && a.Details != null && a.Details.Contains($"\"purpose\":\"{purpose}\""));
    }
}
