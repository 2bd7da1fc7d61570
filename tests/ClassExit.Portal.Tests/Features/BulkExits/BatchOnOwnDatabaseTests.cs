using System.Data.Common;
using System.Diagnostics;
using System.Security.Claims;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Bulk;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Features.BulkExits;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace ClassExit.Portal.Tests.Features.BulkExits;

/// <summary>
/// The real batch service on a SQLite file of its own, acting as an HR key: SQL statements of a 100 × 10 batch (issue 16), and
/// idempotency expiry and clean-up on a fake clock (issue 15).
/// </summary>
public sealed class BatchOnOwnDatabaseTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"batch-{Guid.NewGuid():N}.db");
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 2, 0, 0, TimeSpan.Zero));
    private readonly StatementCounter _statements = new();
    private BatchConcurrencyAndBackgroundTests.World _world = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        await using (var setup = ServicesOnDatabase.Create(_path, new KeyUser(0, 0, 0), _clock))
        await using (var db = (await setup.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForSystem())
        {
            await db.Database.MigrateAsync();
            _world = await BatchConcurrencyAndBackgroundTests.ArrangeAsync(db, classes: 100, members: 10, enrolled: 10);
        }
        await using (var db = await SystemAsync())
        {
            var key = await db.ApiKeys.SingleAsync(k => k.OrganisationId == _world.OrganisationId);
            _services = ServicesOnDatabase.Create(_path, new KeyUser(_world.OrganisationId, _world.Hr, key.Id), _clock, configureDb: o => o.AddInterceptors(_statements));
        }
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" }) File.Delete(f);
    }

    private async Task<PortalDbContext> SystemAsync()
    {
        var factory = (_services ?? ServicesOnDatabase.Create(_path, new KeyUser(0, 0, 0), _clock)).GetRequiredService<IDbContextFactory<PortalDbContext>>();
        return (await factory.CreateDbContextAsync()).ForSystem();
    }

    private async Task<BatchOutcome> RunAsync(bool dryRun, string? key = null, string reasonCode = "600001", IReadOnlyList<long>? classes = null)
    {
        using var scope = _services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<BatchExitService>()
            .RunAsync(new BatchRequest(_world.Hr, classes ?? _world.Classes, _world.Members, reasonCode, true, dryRun), key);
    }

    /// <summary>Issue 16's figure: 8,012 statements dry and 21,142 real before the set-based path.</summary>
    [Fact]
    public async Task HundredClassesTimesTenMembers_DryAndReal_AHandfulOfStatementsPerChunk()
    {
        _statements.Reset();
        var watch = Stopwatch.StartNew();
        var dry = await RunAsync(dryRun: true);
        var dryMs = watch.ElapsedMilliseconds;
        var dryStatements = _statements.Count;
        Assert.Equal(1000, dry.Response!.Results.Count(r => r.Status == "completed"));

        _statements.Reset();
        watch.Restart();
        var real = await RunAsync(dryRun: false);
        var realMs = watch.ElapsedMilliseconds;
        var realStatements = _statements.Count;
        foreach (var (k, v) in _statements.ByKind.OrderByDescending(x => x.Value.Ms).Take(12)) output.WriteLine($"{v.Count,6} {v.Ms,9:F1} ms  {k}");
        output.WriteLine($"100 x 10: dry {dryStatements} statements in {dryMs} ms, real {realStatements} statements in {realMs} ms");

        Assert.Equal(1000, real.Response!.Results.Count(r => r.Status == "completed"));
        // Dry: a fixed number of reads however many pairs (8,012 before). Real: SQLite's provider sends one statement per written row
        // (no batching), so five rows per pair (request, membership, sync change, audit entry, item) plus a few dozen reads (21,142 before).
        Assert.InRange(dryStatements, 1, 40);
        Assert.InRange(realStatements, 1, 5 * 1000 + 200);
        await using var db = await SystemAsync();
        Assert.Equal(1000, await db.Memberships.CountAsync(m => m.OrganisationId == _world.OrganisationId && m.State == MembershipState.Removed));
        Assert.Equal(1000, await db.AuditEntries.CountAsync(a => a.OrganisationId == _world.OrganisationId && a.Action == "exit.hr_removed"));
        // Each member left 100 classes: 100 sync versions, one per exit, as 100 single exits would have written.
        var member = _world.Members[0];
        Assert.Equal(Enumerable.Range(1, 100).Select(v => (long)v),
            (await db.MembershipChanges.Where(c => c.MemberId == member).Select(c => c.Version).ToListAsync()).Order());
        var batch = await db.BatchExits.SingleAsync(b => b.Id == real.Response.BatchId);
        Assert.Equal((1000, 1000, BatchStatus.Completed), (batch.Processed, batch.Completed, batch.Status));
    }

    [Fact]
    public async Task ExpiredRecord_NoLongerHoldsTheKey_AndTheDailyJobDeletesOnlyExpiredRecords()
    {
        const string key = "monthly-reorg";
        var first = await RunAsync(dryRun: false, key, classes: [_world.Classes[0]]);
        Assert.Equal(200, first.HttpStatus);
        var otherBody = await RunAsync(dryRun: false, key, classes: [_world.Classes[1]]);
        Assert.Equal(40901, otherBody.Code);

        _clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));
        var later = await RunAsync(dryRun: false, key, classes: [_world.Classes[1]]);
        Assert.Equal(200, later.HttpStatus);
        Assert.False(later.IsReplay);
        Assert.Equal(10, later.Response!.Results.Count(r => r.Status == "completed"));

        // A second organisation's-worth of rows: one expired, one live.
        await using (var db = await SystemAsync())
        {
            db.IdempotencyRecords.Add(new IdempotencyRecord(_world.OrganisationId, "old", new string('a', 64), 200, "{}", _clock.GetUtcNow().AddHours(-30)));
            db.IdempotencyRecords.Add(IdempotencyRecord.Claim(_world.OrganisationId, "crashed", new string('b', 64), _clock.GetUtcNow().AddHours(-1), BatchExitService.ClaimLease));
            await db.SaveChangesAsync();
        }
        var deleted = await _services.GetRequiredService<IdempotencyCleanupJob>().RunAsync(CancellationToken.None);
        Assert.Equal(2, deleted);
        await using var check = await SystemAsync();
        Assert.Equal([key], await check.IdempotencyRecords.Where(r => r.OrganisationId == _world.OrganisationId).Select(r => r.Key).ToListAsync());
    }

    private sealed class StatementCounter : DbCommandInterceptor
    {
        private int _count;

        public int Count => _count;

        public void Reset() => Interlocked.Exchange(ref _count, 0);

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _count);
            return ValueTask.FromResult(result);
        }

        public readonly System.Collections.Concurrent.ConcurrentDictionary<string, (int Count, double Ms)> ByKind = new();

        private void Done(DbCommand command, CommandExecutedEventData data)
        {
            var text = command.CommandText.TrimStart();
            var kind = string.Join(' ', text.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries).Take(3));
            ByKind.AddOrUpdate(kind, (1, data.Duration.TotalMilliseconds), (_, v) => (v.Count + 1, v.Ms + data.Duration.TotalMilliseconds));
        }

        public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
        {
            Done(command, eventData);
            return ValueTask.FromResult(result);
        }

        public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
        {
            Done(command, eventData);
            return ValueTask.FromResult(result);
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result,
            CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _count);
            return ValueTask.FromResult(result);
        }

        public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result,
            CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _count);
            return ValueTask.FromResult(result);
        }
    }

    /// <summary>The principal an HR member's API key signs in as (ApiKeyAuthenticationHandler).</summary>
    private sealed class KeyUser(long organisationId, long memberId, long keyId) : ICurrentUser
    {
        public Task<PortalPrincipal> GetAsync() => Task.FromResult(PortalPrincipal.From(new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, $"apikey:{keyId}"),
            new Claim(PortalClaims.ApiKeyId, keyId.ToString()),
            new Claim(PortalClaims.OrganisationId, organisationId.ToString()),
            new Claim(PortalClaims.MemberId, memberId.ToString()),
            new Claim(PortalClaims.DisplayName, "API key batch"),
            new Claim(PortalClaims.ApiScopes, Domain.Access.ApiScopes.BatchExits),
        ], "ApiKey")))!);
    }
}
