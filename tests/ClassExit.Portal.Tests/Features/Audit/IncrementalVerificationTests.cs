using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ClassExit.Portal.Tests.Features.Audit;

/// <summary>
/// The hourly verification from the stored position plus a rolling sweep (ADR 0010), on a SQLite file of its own, tampered with as
/// an attacker who can write the database but holds neither the audit key nor the checkpoint file would.
/// </summary>
public sealed class IncrementalVerificationTests : IAsyncLifetime
{
    private const int SweepRuns = 4;
    private readonly string _directory = Directory.CreateTempSubdirectory("classexit-verify-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private ServiceProvider _services = null!;
    private long _org;

    private AuditChainService Chain => _services.GetRequiredService<AuditChainService>();

    private PortalDbContext Db() => _services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext().ForSystem();

    public async Task InitializeAsync()
    {
        _services = ServicesOnDatabase.Create(Path.Combine(_directory, "portal.db"), ServicesOnDatabase.From(new System.Security.Claims.ClaimsPrincipal()), _clock,
            new Dictionary<string, string?> { ["Audit:SweepRuns"] = SweepRuns.ToString() });
        await using var db = Db();
        await db.Database.MigrateAsync();
        var org = new Organisation("增量校验", "Asia/Shanghai", OrganisationKind.Enterprise);
        db.Organisations.Add(org);
        await db.SaveChangesAsync();
        _org = org.Id;
        await WriteAsync(40);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task WriteAsync(int count)
    {
        await using var db = Db();
        for (var i = 0; i < count; i++)
            AuditLog.Add(db, _org, AuditActor.System("verify test"), _clock.GetUtcNow(), "test.event", targetId: i.ToString());
        await db.SaveChangesAsync();
    }

    private async Task<ChainVerification> RunAsync()
    {
        _clock.Advance(TimeSpan.FromHours(1));
        var results = await Chain.RunVerificationAsync(default);
        return Assert.Single(results, r => r.OrganisationId == _org);
    }

    private async Task<long> HeadAsync()
    {
        await using var db = Db();
        return (await db.AuditChainHeads.AsNoTracking().SingleAsync(h => h.OrganisationId == _org)).LastSequence;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var db = Db();
        await db.Database.ExecuteSqlRawAsync(sql);
    }

    [Fact]
    public async Task SteadyState_WalksTheNewEntriesAndOneSlice_AndTheSweepCoversTheWholeChainWithinItsCycle()
    {
        var first = await RunAsync();
        Assert.True(first.Intact, $"{first.Break} {first.Detail}");
        Assert.Equal(40, first.EntriesChecked);

        var swept = new SortedSet<long>();
        for (var run = 0; run < SweepRuns; run++)
        {
            await WriteAsync(5);
            var result = await RunAsync();
            Assert.True(result.Intact, $"{result.Break} {result.Detail}");
            var head = await HeadAsync();
            // Far fewer than the whole chain: the new entries (and the previous run's record) plus a quarter of the older ones.
            Assert.InRange(result.EntriesChecked, 6, head / 2 + 10);
            await using var db = Db();
            var state = await db.AuditChainVerifications.AsNoTracking().SingleAsync(v => v.OrganisationId == _org);
            // Verified up to the chain's end as the run found it; its own record came after.
            Assert.Equal(head - 1, state.VerifiedSequence);
            Assert.Equal((await db.AuditEntries.AsNoTracking().SingleAsync(a => a.OrganisationId == _org && a.Sequence == head - 1)).Hash, state.VerifiedHash);
            var recorded = await db.AuditEntries.AsNoTracking().Where(a => a.OrganisationId == _org && a.Action == "audit.chain_verified")
                .OrderByDescending(a => a.Id).FirstAsync();
            using var details = System.Text.Json.JsonDocument.Parse(recorded.Details!);
            var scope = details.RootElement.GetProperty("scope");
            Assert.Equal("incremental", scope.GetProperty("mode").GetString());
            for (var s = scope.GetProperty("sweep_from").GetInt64(); s <= scope.GetProperty("sweep_to").GetInt64(); s++) swept.Add(s);
            if (scope.GetProperty("sweep_cycle_complete").GetBoolean()) break;
        }
        // Within SweepRuns runs, every entry of the chain as it stood at the first run was walked again.
        Assert.Superset(new SortedSet<long>(Enumerable.Range(1, 40).Select(i => (long)i)), swept);
    }

    [Fact]
    public async Task AnEditedOldEntry_IsFoundByTheSweep_WithinItsCycle()
    {
        Assert.True((await RunAsync()).Intact);
        await ExecuteAsync($"UPDATE AuditEntries SET ActorName = 'someone else' WHERE OrganisationId = {_org} AND Sequence = 30");

        ChainVerification? broken = null;
        for (var run = 0; run < SweepRuns && broken is null; run++)
        {
            var result = await RunAsync();
            if (!result.Intact) broken = result;
        }
        Assert.NotNull(broken);
        Assert.Equal((ChainBreak.Edited, (long?)30), (broken.Break, broken.Sequence));
        await using var db = Db();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.OrganisationId == _org && a.Action == "audit.chain_broken" && a.IsSecurityEvent));
    }

    [Fact]
    public async Task ATailCutAndHeadRewound_BehindTheVerifiedPosition_IsFound_EvenWithoutACheckpoint()
    {
        Assert.True((await RunAsync()).Intact);
        await using (var db = Db())
        {
            // Consistent for a full walk: entries after 35 gone, the head rewound to 35 with entry 35's MAC.
            var at35 = await db.AuditEntries.AsNoTracking().SingleAsync(a => a.OrganisationId == _org && a.Sequence == 35);
            await db.Database.ExecuteSqlRawAsync("DELETE FROM AuditEntries WHERE OrganisationId = {0} AND Sequence > 35", _org);
            await db.Database.ExecuteSqlRawAsync("UPDATE AuditChainHeads SET LastSequence = 35, LastHash = {0}, LastEntryId = {1} WHERE OrganisationId = {2}",
                at35.Hash!, at35.Id, _org);
        }
        Assert.True((await Chain.VerifyAsync(_org)).Intact, "a full walk without a checkpoint cannot see a consistent rewind");

        var result = await RunAsync();

        Assert.Equal(ChainBreak.Truncated, result.Break);
        Assert.Contains("is gone", result.Detail);
    }

    [Fact]
    public async Task AReplacedVerifiedPosition_IsABreak()
    {
        Assert.True((await RunAsync()).Intact);
        await ExecuteAsync($"UPDATE AuditChainVerifications SET VerifiedHash = 'ab' WHERE OrganisationId = {_org}");

        var result = await RunAsync();

        Assert.Equal(ChainBreak.Truncated, result.Break);
        Assert.Contains("not the one verified", result.Detail);
    }

    [Fact]
    public async Task ANewEntryEditedAfterTheVerifiedPosition_IsFoundByTheNextRun()
    {
        Assert.True((await RunAsync()).Intact);
        await WriteAsync(3);
        var head = await HeadAsync();
        await ExecuteAsync($"UPDATE AuditEntries SET TargetId = 'x' WHERE OrganisationId = {_org} AND Sequence = {head}");

        var result = await RunAsync();

        Assert.Equal((ChainBreak.Edited, (long?)head), (result.Break, result.Sequence));
    }
}
