using System.Net;
using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ClassExit.Portal.Tests.Features.Audit;

[Collection(PortalCollection.Name)]
public class AuditChainTests(PortalFactory factory)
{
    private AuditChainService Chain => factory.Services.GetRequiredService<AuditChainService>();

    private async Task<(long Org, List<long> Ids)> OrganisationWithEntriesAsync(string name, int count)
    {
        await using var db = factory.SystemDb();
        var org = new Organisation(name, "Asia/Shanghai", OrganisationKind.Government);
        db.Organisations.Add(org);
        await db.SaveChangesAsync();
        var entries = Enumerable.Range(1, count).Select(i => AuditLog.Add(db, org.Id, AuditActor.System("test"), DateTimeOffset.UtcNow.AddSeconds(i),
            "test.event", AuditOutcome.Succeeded, "Thing", i.ToString(), details: new { i })).ToList();
        await db.SaveChangesAsync();
        await Chain.SealAsync();
        return (org.Id, entries.Select(e => e.Id).ToList());
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var db = factory.SystemDb();
        await db.Database.ExecuteSqlRawAsync(sql);
    }

    [Fact]
    public async Task Sealed_ChainIsIntact_SequencesContiguous()
    {
        var (org, ids) = await OrganisationWithEntriesAsync("Chain A", 10);
        var result = await Chain.VerifyAsync(org);
        Assert.True(result.Intact, $"{result.Break} {result.Detail}");
        Assert.Equal(10, result.EntriesChecked);
        await using var db = factory.SystemDb();
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long?)i), await db.AuditEntries.Where(a => ids.Contains(a.Id)).OrderBy(a => a.Id).Select(a => a.Sequence).ToListAsync());
    }

    [Fact]
    public async Task EditedField_IsNamed()
    {
        var (org, ids) = await OrganisationWithEntriesAsync("Chain B", 8);
        await ExecuteAsync($"UPDATE AuditEntries SET ActorName = 'someone else' WHERE Id = {ids[4]}");
        var result = await Chain.VerifyAsync(org);
        Assert.Equal((ChainBreak.Edited, ids[4]), (result.Break, result.EntryId));
    }

    [Fact]
    public async Task DeletedRow_InTheMiddleOrAtTheEnd_IsFound()
    {
        var (org, ids) = await OrganisationWithEntriesAsync("Chain C", 8);
        await ExecuteAsync($"DELETE FROM AuditEntries WHERE Id = {ids[3]}");
        var middle = await Chain.VerifyAsync(org);
        Assert.Equal((ChainBreak.Deleted, ids[4]), (middle.Break, middle.EntryId));

        var (org2, ids2) = await OrganisationWithEntriesAsync("Chain C2", 5);
        await ExecuteAsync($"DELETE FROM AuditEntries WHERE Id = {ids2[4]}");
        Assert.Equal(ChainBreak.Deleted, (await Chain.VerifyAsync(org2)).Break);
    }

    [Fact]
    public async Task ReorderedRows_AreFound()
    {
        var (org, ids) = await OrganisationWithEntriesAsync("Chain D", 6);
        await ExecuteAsync($"UPDATE AuditEntries SET Sequence = -1 WHERE Id = {ids[1]}; UPDATE AuditEntries SET Sequence = 2 WHERE Id = {ids[2]}; UPDATE AuditEntries SET Sequence = 3 WHERE Id = {ids[1]};");
        var result = await Chain.VerifyAsync(org);
        Assert.Equal(ChainBreak.Reordered, result.Break);
        Assert.Equal(ids[2], result.EntryId);
    }

    [Fact]
    public async Task InsertedRow_IsFound()
    {
        var (org, ids) = await OrganisationWithEntriesAsync("Chain E", 6);
        await using (var db = factory.SystemDb())
        {
            var original = await db.AuditEntries.AsNoTracking().SingleAsync(a => a.Id == ids[2]);
            await db.Database.ExecuteSqlRawAsync(
                "INSERT INTO AuditEntries (OrganisationId, OccurredAt, Action, Outcome, CorrelationId, IsSecurityEvent, Sequence, PreviousHash, Hash) VALUES ({0}, {1}, 'forged.entry', 0, 'x', 0, 3, {2}, {3})",
                org, original.OccurredAt.UtcTicks, original.PreviousHash!, original.Hash!);
        }
        Assert.Equal(ChainBreak.Inserted, (await Chain.VerifyAsync(org)).Break);
    }

    [Fact]
    public async Task ConcurrentWriters_WhileSealing_NoForkNoGap()
    {
        var (org, _) = await OrganisationWithEntriesAsync("Chain F", 1);
        var dbFactory = factory.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                await using var db = (await dbFactory.CreateDbContextAsync()).ForSystem();
                AuditLog.Add(db, org, AuditActor.System($"writer {w}"), DateTimeOffset.UtcNow, "test.concurrent", targetId: $"{w}-{i}");
                await db.SaveChangesAsync();
            }
        }));
        var sealers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () => { for (var i = 0; i < 10; i++) await Chain.SealAsync(); }));
        await Task.WhenAll(writers.Concat(sealers));
        await Chain.SealAsync();

        var result = await Chain.VerifyAsync(org);
        Assert.True(result.Intact, $"{result.Break} {result.Detail}");
        Assert.Equal(201, result.EntriesChecked);
    }

    [Fact]
    public async Task VerifyNow_BrokenChain_RaisesSecurityEvent()
    {
        var (org, ids) = await OrganisationWithEntriesAsync("Chain G", 4);
        await ExecuteAsync($"UPDATE AuditEntries SET Details = NULL WHERE Id = {ids[0]}");
        var result = await Chain.VerifyAndRecordAsync(org, AuditActor.System("test"));
        Assert.False(result.Intact);
        await using var db = factory.SystemDb();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.OrganisationId == org && a.Action == "audit.chain_broken" && a.IsSecurityEvent));
    }

    [Fact]
    public async Task Search_KeysetPagesAndFilters_ExportStreamsCsvAndIsAudited()
    {
        var school = await factory.OrganisationIdAsync(ClassExit.Portal.Data.Seed.DemoSeeder.SchoolName);
        await using (var seed = factory.SystemDb())
        {
            for (var i = 0; i < 120; i++) AuditLog.Add(seed, school, AuditActor.System("paging test"), DateTimeOffset.UtcNow, "test.paging", targetId: i.ToString());
            await seed.SaveChangesAsync();
        }
        var (search, scope) = await factory.ServiceAsAsync<AuditSearchService>("auditor@school.demo");
        using var _ = scope;
        var first = await search.SearchAsync(new AuditFilter());
        Assert.Equal(AuditSearchService.PageSize, first.Items.Count);
        Assert.NotNull(first.OlderCursor);
        var second = await search.SearchAsync(new AuditFilter(), olderThan: first.OlderCursor);
        Assert.True(second.Items.All(r => r.Id < first.Items[^1].Id));
        var back = await search.SearchAsync(new AuditFilter(), newerThan: second.NewerCursor);
        Assert.Equal(first.Items.Select(r => r.Id), back.Items.Select(r => r.Id));

        var exits = await search.SearchAsync(new AuditFilter(Action: "exit."));
        Assert.All(exits.Items, r => Assert.StartsWith("exit.", r.Action));
        var security = await search.SearchAsync(new AuditFilter(SecurityOnly: true));
        Assert.All(security.Items, r => Assert.True(r.IsSecurityEvent));
        Assert.All((await search.SearchAsync(new AuditFilter(Action: "demo.seeded"))).Items, r => Assert.Equal("demo.seeded", r.Action));

        var client = factory.CreateBrowserLikeClient();
        await factory.SignInAsync(client, "auditor@school.demo");
        var csv = await client.GetAsync("/exports/audit.csv?action=exit.");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("\uFEFFid,sequence,occurred_at_utc,action", lines[0]);
        Assert.All(lines.Skip(1), l => Assert.Contains(",exit.", l));
        await using var db = factory.SystemDb();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "audit.exported" && a.Details!.Contains($"\"rows\":{lines.Length - 1}")));
        // Auditors cannot export other organisations' entries: the filter is the tenant's.
        Assert.DoesNotContain(lines, l => l.Contains("Demo Finance"));
    }
}
