using System.Data.Common;
using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Domain.Retention;
using ClassExit.Portal.Features.Retention;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ClassExit.Portal.Tests.Features.Retention;

/// <summary>The purge's batches: read before the write lock, re-checked inside it, receipts deleted with their messages.</summary>
[Collection(PortalCollection.Name)]
public class RetentionPurgeBatchTests(PortalFactory factory)
{
    private async Task<(long Org, long ClassId, long Student, long[] Readers)> OrganisationAsync(string name, int messages, int receiptsEach, DateTimeOffset now)
    {
        await using var db = factory.SystemDb();
        var org = new Organisation(name, "Asia/Shanghai", OrganisationKind.Education);
        db.Organisations.Add(org);
        await db.SaveChangesAsync();
        var owner = new Member(org.Id, "班主任", $"{name}-O");
        var student = new Member(org.Id, "学生", $"{name}-S");
        var readers = Enumerable.Range(0, receiptsEach).Select(i => new Member(org.Id, $"读者{i}", $"{name}-R{i}")).ToList();
        db.Members.AddRange([owner, student, .. readers]);
        await db.SaveChangesAsync();
        var c = new ClassGroup(org.Id, $"{name} 班", owner.Id, DateOnly.FromDateTime(now.UtcDateTime).AddDays(90), now.AddDays(-100));
        db.Classes.Add(c);
        await db.SaveChangesAsync();
        var sent = new List<ChatMessage>();
        for (var i = 0; i < messages; i++)
        {
            var msg = new ChatMessage(org.Id, c.Id, student.Id, $"消息 {i}", now.AddDays(-40));
            // Several messages share each purge date, as a leaver's messages do.
            msg.ScheduleRetention(now.AddDays(-1).AddMinutes(-(i / 10)));
            sent.Add(msg);
        }
        db.ChatMessages.AddRange(sent);
        await db.SaveChangesAsync();
        foreach (var msg in sent)
            foreach (var reader in readers)
                db.MessageReceipts.Add(new MessageReceipt(org.Id, msg.Id, c.Id, reader.Id, now.AddDays(-39)));
        await db.SaveChangesAsync();
        return (org.Id, c.Id, student.Id, readers.Select(r => r.Id).ToArray());
    }

    private RetentionPurgeJob Job(DateTimeOffset at, int batchSize, IDbContextFactory<PortalDbContext>? dbFactory = null) =>
        new(dbFactory ?? factory.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>(), new FakeTimeProvider(at),
            Options.Create(new RetentionOptions { BatchSize = batchSize }), NullLogger<RetentionPurgeJob>.Instance,
            factory.Services.GetRequiredService<ClassExit.Portal.Features.Notifications.PortalEvents>());

    [Fact]
    public async Task ReceiptsGoWithTheirMessages_InSeveralBatches_CountedOnce()
    {
        var now = DateTimeOffset.UtcNow;
        var (org, classId, student, _) = await OrganisationAsync("RetBatch1", 250, 2, now);

        var run = await Job(now, batchSize: 100).RunForOrganisationAsync(org, "test", CancellationToken.None);

        Assert.Equal((250, 500, RetentionRunState.Completed), (run.MessagesPurged, run.ReceiptsPurged, run.State));
        Assert.True(run.Batches >= 3, $"{run.Batches} batches");
        await using var db = factory.SystemDb();
        Assert.Equal(0, await db.ChatMessages.CountAsync(m => m.SenderMemberId == student));
        Assert.Equal(0, await db.MessageReceipts.CountAsync(r => r.ClassId == classId));
        var receipt = await db.AuditEntries.SingleAsync(a => a.OrganisationId == org && a.Action == "retention.purged");
        Assert.Contains("\"receipts\":500", receipt.Details);

        var again = await Job(now, batchSize: 100).RunForOrganisationAsync(org, "test", CancellationToken.None);
        Assert.Equal((0, 0, 0), (again.MessagesPurged, again.ReceiptsPurged, again.Batches));
    }

    /// <summary>Places a legal hold on a member from another connection right after the job has read its first batch.</summary>
    private sealed class HoldAfterFirstRead(PortalFactory factory, long org, long memberId, DateTimeOffset now) : DbCommandInterceptor
    {
        public int Holds;
        public int MessageDeletes;

        public override InterceptionResult DataReaderClosing(DbCommand command, DataReaderClosingEventData eventData, InterceptionResult result)
        {
            if (IsBatchRead(command) && Interlocked.Increment(ref Holds) == 1) PlaceHold();
            return result;
        }

        public override ValueTask<InterceptionResult> DataReaderClosingAsync(DbCommand command, DataReaderClosingEventData eventData, InterceptionResult result)
        {
            if (IsBatchRead(command) && Interlocked.Increment(ref Holds) == 1) PlaceHold();
            return ValueTask.FromResult(result);
        }

        public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
        {
            if (command.CommandText.StartsWith("DELETE FROM \"ChatMessages\"", StringComparison.Ordinal)) Interlocked.Increment(ref MessageDeletes);
            return ValueTask.FromResult(result);
        }

        private static bool IsBatchRead(DbCommand command) =>
            command.CommandText.Contains("FROM \"ChatMessages\"", StringComparison.Ordinal) && command.CommandText.Contains("ORDER BY", StringComparison.Ordinal);

        private void PlaceHold()
        {
            using var db = factory.SystemDb();
            db.LegalHolds.Add(new LegalHold(org, null, memberId, "读取后保全", memberId, now, null));
            db.SaveChanges();
        }
    }

    private sealed class InterceptedFactory(DbContextOptions<PortalDbContext> options) : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => new(options);
    }

    [Fact]
    public async Task HoldPlacedBetweenTheReadAndTheWrite_NothingOfTheHeldMemberIsDeleted()
    {
        var now = DateTimeOffset.UtcNow;
        var (org, _, student, _) = await OrganisationAsync("RetBatch2", 120, 1, now);
        var interceptor = new HoldAfterFirstRead(factory, org, student, now);
        var options = new DbContextOptionsBuilder<PortalDbContext>()
            .UseSqlite($"Data Source={factory.DatabasePath}", o => o.MigrationsAssembly(PortalDbContextConfigurator.SqliteMigrationsAssembly))
            .UseApplicationServiceProvider(factory.Services)
            .AddInterceptors(interceptor).Options;

        var run = await Job(now, batchSize: 100, new InterceptedFactory(options)).RunForOrganisationAsync(org, "test", CancellationToken.None);

        Assert.True(interceptor.Holds >= 1);
        // The batch read before the hold reached the DELETE, which found a row no longer due and rolled back.
        Assert.True(interceptor.MessageDeletes >= 1, "the stale batch was never written");
        Assert.Equal((0, 0, 120, RetentionRunState.Completed), (run.MessagesPurged, run.ReceiptsPurged, run.SkippedForHolds, run.State));
        await using var db = factory.SystemDb();
        Assert.Equal(120, await db.ChatMessages.CountAsync(m => m.SenderMemberId == student));
        Assert.Equal(120, await db.MessageReceipts.CountAsync(r => r.OrganisationId == org));
    }
}
