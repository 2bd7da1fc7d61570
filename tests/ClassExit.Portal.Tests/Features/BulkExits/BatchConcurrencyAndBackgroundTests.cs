using System.Net;
using System.Net.Http.Json;
using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Bulk;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Features.BulkExits;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ClassExit.Portal.Tests.Features.BulkExits;

/// <summary>Issue 15: an Idempotency-Key runs once under concurrency; batches over 10,000 pairs run in the background.</summary>
[Collection(PortalCollection.Name)]
public class BatchConcurrencyAndBackgroundTests(PortalFactory factory)
{
    internal sealed record World(long OrganisationId, long Hr, string Secret, IReadOnlyList<long> Classes, IReadOnlyList<long> Members, IReadOnlyList<long> Enrolled);

    /// <summary>
    /// An organisation of its own: an HR key owner, a class owner, <paramref name="classes"/> classes and <paramref name="members"/>
    /// members, the first <paramref name="enrolled"/> of them students of every class.
    /// </summary>
    internal static async Task<World> ArrangeAsync(PortalDbContext db, int classes, int members, int enrolled)
    {
        var secret = "batch-test-" + Guid.NewGuid().ToString("N");
        var org = new Organisation($"Batch Co {Guid.NewGuid():N}", "Asia/Shanghai", OrganisationKind.Enterprise, new ExitPolicy { DailyBatchQuota = 50 });
        db.Organisations.Add(org);
        await db.SaveChangesAsync();
        var hr = new Member(org.Id, "HR 批量", "B-HR");
        hr.GrantHrPermission();
        var owner = new Member(org.Id, "班主任", "B-OWN");
        var people = Enumerable.Range(0, members).Select(i => new Member(org.Id, $"员工 {i}", $"B-{i}")).ToList();
        db.Members.AddRange([hr, owner, .. people]);
        db.ReasonCodes.Add(new ReasonCode(org.Id, "600001", "组织调整"));
        await db.SaveChangesAsync();
        db.ApiKeys.Add(new ApiKey(org.Id, "batch", hr.Id, secret, DateTimeOffset.UtcNow));
        var groups = Enumerable.Range(0, classes)
            .Select(i => new ClassGroup(org.Id, $"班级 {i}", owner.Id, DateOnly.FromDateTime(DateTime.UtcNow.AddDays(120)), DateTimeOffset.UtcNow)).ToList();
        db.Classes.AddRange(groups);
        await db.SaveChangesAsync();
        foreach (var c in groups)
        {
            db.Memberships.Add(new Membership(org.Id, c.Id, owner.Id, ClassRole.Owner, DateTimeOffset.UtcNow));
            db.Memberships.AddRange(people.Take(enrolled).Select(p => new Membership(org.Id, c.Id, p.Id, ClassRole.Student, DateTimeOffset.UtcNow)));
        }
        await db.SaveChangesAsync();
        return new World(org.Id, hr.Id, secret, groups.Select(g => g.Id).ToList(), people.Select(p => p.Id).ToList(), people.Take(enrolled).Select(p => p.Id).ToList());
    }

    private static HttpRequestMessage Batch(World w, IEnumerable<long> classes, IEnumerable<long> members, string? key, string reasonCode = "600001", bool dryRun = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/exits/batch")
        {
            Content = JsonContent.Create(new { operator_id = w.Hr, class_ids = classes, member_ids = members, reason_code = reasonCode, dry_run = dryRun }),
        };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    [Fact]
    public async Task TwentyConcurrentIdenticalCalls_OneRun_OneQuotaUnit_NineteenReplaysOrInProgress()
    {
        World w;
        await using (var db = factory.SystemDb()) w = await ArrangeAsync(db, classes: 5, members: 20, enrolled: 20);
        var api = factory.WithKey(w.Secret);
        const string key = "reorg-2026-12-concurrent";

        var calls = Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            var response = await api.SendAsync(Batch(w, w.Classes, w.Members, key));
            return (response.StatusCode, Replayed: response.Headers.TryGetValues("Idempotent-Replayed", out var v) && v.Single() == "true",
                response.Headers.RetryAfter, Body: await response.Content.ReadAsStringAsync());
        }));
        var outcomes = await Task.WhenAll(calls);

        var fresh = outcomes.Where(o => o.StatusCode == HttpStatusCode.OK && !o.Replayed).ToList();
        var replays = outcomes.Where(o => o.StatusCode == HttpStatusCode.OK && o.Replayed).ToList();
        var inProgress = outcomes.Where(o => o.StatusCode == HttpStatusCode.Conflict).ToList();
        Assert.Single(fresh);
        Assert.Equal(19, replays.Count + inProgress.Count);
        // Every other call is either a replay of the first response or refused while it runs (how many of each depends on timing).
        var others = outcomes.Where(o => !fresh.Contains(o)).ToList();
        Assert.Equal(19, others.Count);
        Assert.All(others, r =>
        {
            if (r.StatusCode == HttpStatusCode.OK) Assert.Equal(fresh[0].Body, r.Body);
            else
            {
                Assert.Contains("40902", r.Body);
                Assert.True(r.RetryAfter?.Delta > TimeSpan.Zero);
            }
        });

        await using var check = factory.SystemDb();
        Assert.Equal(1, await check.BatchExits.CountAsync(b => b.OrganisationId == w.OrganisationId));
        Assert.Equal(1, await check.QuotaUsages.Where(q => q.OrganisationId == w.OrganisationId).SumAsync(q => q.Used));
        Assert.Equal(100, await check.ExitRequests.CountAsync(e => e.OrganisationId == w.OrganisationId));
        var stored = await check.IdempotencyRecords.SingleAsync(r => r.OrganisationId == w.OrganisationId && r.Key == key);
        Assert.Equal(200, stored.StatusCode);
        // After the run the key answers with the stored response, as api.md says.
        var late = await api.SendAsync(Batch(w, w.Classes, w.Members, key));
        Assert.Equal(fresh[0].Body, await late.Content.ReadAsStringAsync());
        Assert.Equal("true", late.Headers.GetValues("Idempotent-Replayed").Single());
    }

    [Fact]
    public async Task RefusedCall_ReleasesTheKey_TheCorrectedCallRuns()
    {
        World w;
        await using (var db = factory.SystemDb()) w = await ArrangeAsync(db, classes: 1, members: 2, enrolled: 2);
        var api = factory.WithKey(w.Secret);
        var key = "fix-" + Guid.NewGuid();

        var refused = await api.SendAsync(Batch(w, w.Classes, w.Members, key, reasonCode: "699999"));
        Assert.Equal(40001, (await refused.JsonAsync()).GetProperty("code").GetInt32());
        var corrected = await api.SendAsync(Batch(w, w.Classes, w.Members, key));
        Assert.Equal(HttpStatusCode.OK, corrected.StatusCode);
        Assert.False(corrected.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(["completed", "completed"], (await corrected.JsonAsync()).GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task OverTenThousandPairs_202_RunsInTheBackground_ResumeSkipsDonePairs_StatusPagedAndOwnOrganisationOnly()
    {
        World w;
        await using (var db = factory.SystemDb()) w = await ArrangeAsync(db, classes: 11, members: 1000, enrolled: 3);
        var api = factory.WithKey(w.Secret);
        var before = (await (await api.GetAsync("/api/v1/quota")).JsonAsync()).GetProperty("used").GetInt32();

        var accepted = await api.SendAsync(Batch(w, w.Classes, w.Members, "big-" + Guid.NewGuid()));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var body = await accepted.JsonAsync();
        Assert.Equal("queued", body.GetProperty("status").GetString());
        var batchId = body.GetProperty("batch_id").GetInt64();
        Assert.Equal($"/api/v1/exits/batch/{batchId}", accepted.Headers.Location!.OriginalString);
        Assert.Equal(before + 1, (await (await api.GetAsync("/api/v1/quota")).JsonAsync()).GetProperty("used").GetInt32());
        var queued = await (await api.GetAsync($"/api/v1/exits/batch/{batchId}")).JsonAsync();
        Assert.Equal(("queued", 11_000, 0), (queued.GetProperty("status").GetString(), queued.GetProperty("total").GetInt32(), queued.GetProperty("processed").GetInt32()));

        // A run that stopped after one pair: its item is written (with its exit, all-or-nothing). The resumed run must not touch it again.
        var (doneClass, doneMember) = (w.Classes[0], w.Enrolled[0]);
        await using (var db = factory.SystemDb())
        {
            db.BatchExitItems.Add(new BatchExitItem(w.OrganisationId, batchId, doneClass, doneMember, BatchItemStatus.Skipped, 50301, null));
            await db.SaveChangesAsync();
        }
        using (var scope = factory.Services.CreateScope())
            Assert.True(await scope.ServiceProvider.GetRequiredService<BatchExitJob>().ResumeAllAsync(CancellationToken.None) >= 1);

        await using (var db = factory.SystemDb())
        {
            var batch = await db.BatchExits.SingleAsync(b => b.Id == batchId);
            Assert.Equal(BatchStatus.Completed, batch.Status);
            Assert.Equal(11_000, await db.BatchExitItems.CountAsync(i => i.BatchExitId == batchId));
            Assert.Equal((10_999, 32, 10_967, 0), (batch.Processed, batch.Completed, batch.Skipped, batch.Refused));
            Assert.Equal(MembershipState.Active, (await db.Memberships.SingleAsync(m => m.ClassId == doneClass && m.MemberId == doneMember)).State);
            Assert.Equal(32, await db.Memberships.CountAsync(m => m.OrganisationId == w.OrganisationId && m.State == MembershipState.Removed));
            Assert.Equal(32, await db.AuditEntries.CountAsync(a => a.OrganisationId == w.OrganisationId && a.Action == "exit.hr_removed"));
        }

        var status = await (await api.GetAsync($"/api/v1/exits/batch/{batchId}?page=2&page_size=1000")).JsonAsync();
        Assert.Equal(("completed", 10_999, 32), (status.GetProperty("status").GetString(), status.GetProperty("processed").GetInt32(), status.GetProperty("completed").GetInt32()));
        var page = status.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(1000, page.Count);
        Assert.All(page, r => Assert.Contains(r.GetProperty("status").GetString(), new[] { "completed", "skipped", "refused" }));
        Assert.True(page[0].TryGetProperty("class_id", out _) && page[0].TryGetProperty("member_id", out _) && page[0].TryGetProperty("code", out _));

        var other = await factory.WithKey(ClassExit.Portal.Data.Seed.DemoSeeder.SchoolApiKey).GetAsync($"/api/v1/exits/batch/{batchId}");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal(40401, (await other.JsonAsync()).GetProperty("code").GetInt32());
    }
}
