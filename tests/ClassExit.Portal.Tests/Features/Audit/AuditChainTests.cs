using System.Net;
using System.Security.Cryptography;
using System.Text;
using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ClassExit.Portal.Tests.Features.Audit;

/// <summary>
/// The keyed, anchored audit chain (ADR 0010) on the portal's real SQLite file, tampered with as an attacker who can write the
/// database (but has neither the audit key nor the checkpoint file) would.
/// </summary>
[Collection(PortalCollection.Name)]
public class AuditChainTests(PortalFactory factory)
{
    /// <summary>The test's clock, moving a millisecond on every reading as a real one would.</summary>
    private readonly FakeTimeProvider _clock = AutoAdvancing(factory.NewClock());

    private static FakeTimeProvider AutoAdvancing(FakeTimeProvider clock)
    {
        clock.AutoAdvanceAmount = TimeSpan.FromMilliseconds(1);
        return clock;
    }

    private AuditChainService Chain => factory.Services.GetRequiredService<AuditChainService>();
    private AuditCheckpoints Checkpoints => factory.Services.GetRequiredService<AuditCheckpoints>();
    private IAuditKeyRing Keys => factory.Services.GetRequiredService<IAuditKeyRing>();

    private async Task<(long Org, List<long> Ids)> OrganisationWithEntriesAsync(string name, int count)
    {
        await using var db = factory.SystemDb();
        var org = new Organisation(name + " " + Guid.NewGuid().ToString("N")[..6], "Asia/Shanghai", OrganisationKind.Government);
        db.Organisations.Add(org);
        await db.SaveChangesAsync();
        var entries = Enumerable.Range(1, count).Select(i => AuditLog.Add(db, org.Id, AuditActor.System("test"), _clock.GetUtcNow().AddSeconds(i),
            "test.event", AuditOutcome.Succeeded, "Thing", i.ToString(), details: new { i })).ToList();
        await db.SaveChangesAsync();
        return (org.Id, entries.Select(e => e.Id).ToList());
    }

    private async Task ExecuteAsync(string sql, params object[] parameters)
    {
        await using var db = factory.SystemDb();
        await db.Database.ExecuteSqlRawAsync(sql, parameters);
    }

    private async Task<AuditEntry> EntryAsync(long id)
    {
        await using var db = factory.SystemDb();
        return await db.AuditEntries.AsNoTracking().SingleAsync(a => a.Id == id);
    }

    /// <summary>Appends a forged entry at the tail as an attacker would (sequence, link and head all consistent), with the MAC given.</summary>
    private async Task<long> ForgeAtTailAsync(long org, Func<AuditEntry, long, string?, (string Mac, string? KeyId)> seal)
    {
        await using var db = factory.SystemDb();
        var head = await db.AuditChainHeads.AsNoTracking().SingleAsync(h => h.OrganisationId == org);
        var forged = new AuditEntry(org, _clock.GetUtcNow(), "exit.completed", AuditOutcome.Succeeded, null, null, "forger", "ExitRequest", "1", "c0ffee");
        var sequence = head.LastSequence + 1;
        var (mac, keyId) = seal(forged, sequence, head.LastHash);
        await db.Database.ExecuteSqlRawAsync(
            "INSERT INTO AuditEntries (OrganisationId, OccurredAt, Action, Outcome, ActorName, TargetType, TargetId, CorrelationId, IsSecurityEvent, Sequence, PreviousHash, Hash, KeyId) " +
            "VALUES ({0}, {1}, 'exit.completed', 0, 'forger', 'ExitRequest', '1', 'c0ffee', 0, {2}, {3}, {4}, NULLIF({5}, ''))",
            org, forged.OccurredAt.UtcTicks, sequence, head.LastHash!, mac, keyId ?? "");
        var id = await db.AuditEntries.Where(a => a.OrganisationId == org && a.Sequence == sequence).Select(a => a.Id).SingleAsync();
        await db.Database.ExecuteSqlRawAsync("UPDATE AuditChainHeads SET LastSequence = {0}, LastHash = {1}, LastEntryId = {2} WHERE OrganisationId = {3}", sequence, mac, id, org);
        return id;
    }

    [Fact]
    public async Task Written_IsSealedByItsOwnTransaction_WithTheCurrentKey()
    {
        var (org, ids) = await OrganisationWithEntriesAsync("Chain A", 10);
        await using var db = factory.SystemDb();
        var rows = await db.AuditEntries.AsNoTracking().Where(a => ids.Contains(a.Id)).OrderBy(a => a.Sequence).ToListAsync();
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long?)i), rows.Select(r => r.Sequence));
        Assert.All(rows, r => Assert.Equal(Keys.Current.Id, r.KeyId));
        Assert.Equal(AuditMac.Compute(Keys.Current, rows[3], 4, rows[2].Hash), rows[3].Hash);
        var head = await db.AuditChainHeads.AsNoTracking().SingleAsync(h => h.OrganisationId == org);
        Assert.Equal((10L, rows[^1].Hash, rows[^1].Id), (head.LastSequence, head.LastHash, head.LastEntryId));

        var result = await Chain.VerifyAsync(org);
        Assert.True(result.Intact, $"{result.Break} {result.Detail}");
        Assert.Equal(10, result.EntriesChecked);
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
        Assert.Equal((ChainBreak.Deleted, ids[4], 5L), (middle.Break, middle.EntryId, middle.Sequence));

        var (org2, ids2) = await OrganisationWithEntriesAsync("Chain C2", 5);
        await ExecuteAsync($"DELETE FROM AuditEntries WHERE Id = {ids2[4]}");
        var tail = await Chain.VerifyAsync(org2);
        Assert.Equal((ChainBreak.Deleted, 5L), (tail.Break, tail.Sequence));
    }

    [Fact]
    public async Task ReorderedRows_AreFound()
    {
        var (org, ids) = await OrganisationWithEntriesAsync("Chain D", 6);
        await ExecuteAsync($"UPDATE AuditEntries SET Sequence = -1 WHERE Id = {ids[1]}; UPDATE AuditEntries SET Sequence = 2 WHERE Id = {ids[2]}; UPDATE AuditEntries SET Sequence = 3 WHERE Id = {ids[1]};");
        var result = await Chain.VerifyAsync(org);
        Assert.Equal((ChainBreak.Reordered, ids[2]), (result.Break, result.EntryId));
    }

    [Fact]
    public async Task InsertedUnsealedRow_IsAForgery()
    {
        var (org, _) = await OrganisationWithEntriesAsync("Chain E", 6);
        await ExecuteAsync("INSERT INTO AuditEntries (OrganisationId, OccurredAt, Action, Outcome, CorrelationId, IsSecurityEvent) VALUES ({0}, {1}, 'forged.entry', 0, 'x', 0)",
            org, _clock.GetUtcNow().UtcTicks);
        await using var db = factory.SystemDb();
        var forged = await db.AuditEntries.Where(a => a.OrganisationId == org && a.Action == "forged.entry").Select(a => a.Id).SingleAsync();
        var result = await Chain.VerifyAsync(org);
        Assert.Equal((ChainBreak.Unsealed, forged), (result.Break, result.EntryId));
    }

    [Fact]
    public async Task InsertedCopyOfASequence_IsFound()
    {
        var (org, ids) = await OrganisationWithEntriesAsync("Chain E2", 6);
        var original = await EntryAsync(ids[2]);
        await ExecuteAsync(
            "INSERT INTO AuditEntries (OrganisationId, OccurredAt, Action, Outcome, CorrelationId, IsSecurityEvent, Sequence, PreviousHash, Hash, KeyId) VALUES ({0}, {1}, 'forged.entry', 0, 'x', 0, 3, {2}, {3}, {4})",
            org, original.OccurredAt.UtcTicks, original.PreviousHash!, original.Hash!, original.KeyId!);
        var result = await Chain.VerifyAsync(org);
        Assert.Equal((ChainBreak.Inserted, 3L), (result.Break, result.Sequence));
    }

    [Fact]
    public async Task ForgedRow_WithAWrongKeyOrPlainSha256OrAnUnknownKeyId_IsNamed()
    {
        var attackerKey = AuditKeys.NewKey(Keys.Current.Id);
        var (org, _) = await OrganisationWithEntriesAsync("Chain W", 4);
        var wrongKey = await ForgeAtTailAsync(org, (e, seq, prev) => (AuditMac.Compute(attackerKey, e, seq, prev), attackerKey.Id));
        var edited = await Chain.VerifyAsync(org);
        Assert.Equal((ChainBreak.Edited, wrongKey), (edited.Break, edited.EntryId));

        var (org2, _) = await OrganisationWithEntriesAsync("Chain W2", 4);
        var sha = await ForgeAtTailAsync(org2, (e, seq, prev) => (AuditHash.Compute(e, seq, prev), null));
        var legacy = await Chain.VerifyAsync(org2);
        Assert.Equal((ChainBreak.Forged, sha), (legacy.Break, legacy.EntryId));

        var (org3, _) = await OrganisationWithEntriesAsync("Chain W3", 4);
        var unknown = await ForgeAtTailAsync(org3, (e, seq, prev) => (AuditMac.Compute(AuditKeys.NewKey("attacker"), e, seq, prev), "attacker"));
        var result = await Chain.VerifyAsync(org3);
        Assert.Equal((ChainBreak.Forged, unknown), (result.Break, result.EntryId));
        Assert.Contains("'attacker'", result.Detail);
    }

    [Fact]
    public async Task WholeChainRecomputedWithoutTheKey_IsFound_AsLegacyAfterKeyedSealingBegan_AndAgainstTheCheckpoint()
    {
        var (org, ids) = await OrganisationWithEntriesAsync("Chain R", 5);
        Assert.NotNull(await Checkpoints.CheckpointAsync(org, default));

        // The attacker rewrites every entry (here: one actor name) and recomputes every link with plain SHA-256, as the chain was
        // before keys: no key needed, the head follows.
        await ExecuteAsync($"UPDATE AuditEntries SET ActorName = 'nobody' WHERE Id = {ids[1]}");
        string? previous = null;
        for (var i = 0; i < ids.Count; i++)
        {
            var e = await EntryAsync(ids[i]);
            var hash = AuditHash.Compute(e, i + 1, previous);
            await ExecuteAsync("UPDATE AuditEntries SET PreviousHash = NULLIF({0}, ''), Hash = {1}, KeyId = NULL WHERE Id = {2}", previous ?? "", hash, ids[i]);
            previous = hash;
        }
        await ExecuteAsync("UPDATE AuditChainHeads SET LastHash = {0} WHERE OrganisationId = {1}", previous!, org);

        var result = await Chain.VerifyAsync(org);
        Assert.Equal((ChainBreak.Forged, ids[0]), (result.Break, result.EntryId));
        Assert.Contains("after keyed sealing began", result.Detail);

        // Backdated too, so that it passes as a legacy segment: the checkpoint still names it.
        previous = null;
        for (var i = 0; i < ids.Count; i++)
        {
            await ExecuteAsync("UPDATE AuditEntries SET OccurredAt = {0} WHERE Id = {1}", new DateTimeOffset(2020, 1, 1, 0, 0, i, TimeSpan.Zero).UtcTicks, ids[i]);
            var e = await EntryAsync(ids[i]);
            var hash = AuditHash.Compute(e, i + 1, previous);
            await ExecuteAsync("UPDATE AuditEntries SET PreviousHash = NULLIF({0}, ''), Hash = {1} WHERE Id = {2}", previous ?? "", hash, ids[i]);
            previous = hash;
        }
        await ExecuteAsync("UPDATE AuditChainHeads SET LastHash = {0} WHERE OrganisationId = {1}", previous!, org);
        var anchored = await Chain.VerifyAsync(org);
        Assert.Equal((ChainBreak.Truncated, 5L), (anchored.Break, anchored.Sequence));
        Assert.Contains("rewritten", anchored.Detail);
    }

    [Fact]
    public async Task TruncatedTailAndRewoundHead_IsFound_AgainstTheLastCheckpoint()
    {
        var (org, ids) = await OrganisationWithEntriesAsync("Chain T", 6);
        var checkpoint = await Checkpoints.CheckpointAsync(org, default);
        Assert.Equal(6, checkpoint!.Sequence);

        var kept = await EntryAsync(ids[3]);
        await ExecuteAsync($"DELETE FROM AuditEntries WHERE Id IN ({ids[4]}, {ids[5]})");
        await ExecuteAsync("UPDATE AuditChainHeads SET LastSequence = 4, LastHash = {0}, LastEntryId = {1} WHERE OrganisationId = {2}", kept.Hash!, kept.Id, org);

        var result = await Chain.VerifyAsync(org);
        Assert.Equal((ChainBreak.Truncated, 4L), (result.Break, result.Sequence));
        Assert.Equal(checkpoint.Sequence, result.Checkpoint!.Sequence);
        // No new checkpoint blesses the rewound chain.
        Assert.Null(await Checkpoints.CheckpointAsync(org, default));
        Assert.Equal(6, (await Checkpoints.LatestAsync(org, default))!.Sequence);
    }

    [Fact]
    public async Task WipedOrganisation_EntriesAndHead_IsFound_ByTheRecurringVerification()
    {
        var (org, _) = await OrganisationWithEntriesAsync("Chain X", 3);
        Assert.NotNull(await Checkpoints.CheckpointAsync(org, default));
        await ExecuteAsync($"DELETE FROM AuditEntries WHERE OrganisationId = {org}; DELETE FROM AuditChainHeads WHERE OrganisationId = {org};");

        var result = await Chain.VerifyAsync(org);
        Assert.Equal((ChainBreak.Truncated, 0L), (result.Break, result.Sequence));

        await Chain.RunVerificationAsync(default);
        await using var db = factory.SystemDb();
        var recorded = await db.AuditEntries.Where(a => a.OrganisationId == org).ToListAsync();
        var broken = Assert.Single(recorded);
        Assert.Equal(("audit.chain_broken", true), (broken.Action, broken.IsSecurityEvent));
        Assert.Contains("Truncated", broken.Details);
        // Organisation 0 (entries of no organisation) is verified as well, and its result recorded in its own chain.
        Assert.True(await db.AuditEntries.AnyAsync(a => a.OrganisationId == null && a.Action.StartsWith("audit.chain_") && a.ActorName == "audit verification job"));
    }

    [Fact]
    public async Task RecurringVerification_OnePass_NamesTheEditedChain_AndLeavesTheOthersIntact()
    {
        var (edited, ids) = await OrganisationWithEntriesAsync("Chain Y", 4);
        var (untouched, _) = await OrganisationWithEntriesAsync("Chain Z", 4);
        await ExecuteAsync($"UPDATE AuditEntries SET ActorName = 'someone else' WHERE Id = {ids[2]}");

        var results = await Chain.RunVerificationAsync(default);

        Assert.NotEmpty(results);
        var broken = Assert.Single(results, r => r.OrganisationId == edited);
        Assert.Equal((ChainBreak.Edited, (long?)ids[2]), (broken.Break, broken.EntryId));
        var intact = Assert.Single(results, r => r.OrganisationId == untouched);
        Assert.True(intact.Intact, $"{intact.Break} {intact.Detail}");
        Assert.Equal(4, intact.EntriesChecked);
        await using var db = factory.SystemDb();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.OrganisationId == edited && a.Action == "audit.chain_broken" && a.IsSecurityEvent));
        Assert.True(await db.AuditEntries.AnyAsync(a => a.OrganisationId == untouched && a.Action == "audit.chain_verified"));
    }

    [Fact]
    public async Task OrganisationZero_UnknownSignIns_IsSealedAndVerified()
    {
        var client = factory.CreateBrowserLikeClient();
        await factory.SignInAsync(client, $"nobody-{Guid.NewGuid():N}@example.com", "wrong password");
        await using var db = factory.SystemDb();
        var latest = await db.AuditEntries.AsNoTracking().Where(a => a.OrganisationId == null).OrderByDescending(a => a.Id).FirstAsync();
        Assert.NotNull(latest.Sequence);
        Assert.Equal(Keys.Current.Id, latest.KeyId);
        var result = await Chain.VerifyAsync(0);
        Assert.True(result.Intact, $"{result.Break} {result.Detail}");
        Assert.True(result.EntriesChecked >= 1);

        await ExecuteAsync($"UPDATE AuditEntries SET ActorName = 'x' WHERE Id = {latest.Id}");
        Assert.Equal(ChainBreak.Edited, (await Chain.VerifyAsync(0)).Break);
        await ExecuteAsync("UPDATE AuditEntries SET ActorName = {0} WHERE Id = {1}", latest.ActorName!, latest.Id);
    }

    [Fact]
    public async Task ConcurrentWriters_AcrossTwoOrganisations_LeaveIntactChainsWithoutGaps()
    {
        var (a, _) = await OrganisationWithEntriesAsync("Chain F", 1);
        var (b, _) = await OrganisationWithEntriesAsync("Chain F2", 1);
        var dbFactory = factory.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        using var start = new SemaphoreSlim(0);
        var writers = Enumerable.Range(0, 20).Select(w => Task.Run(async () =>
        {
            await start.WaitAsync();
            for (var i = 0; i < 5; i++)
            {
                await using var db = (await dbFactory.CreateDbContextAsync()).ForSystem();
                AuditLog.Add(db, a, AuditActor.System($"writer {w}"), _clock.GetUtcNow(), "test.concurrent", targetId: $"{w}-{i}");
                AuditLog.Add(db, b, AuditActor.System($"writer {w}"), _clock.GetUtcNow(), "test.concurrent", targetId: $"{w}-{i}");
                AuditLog.Add(db, a, AuditActor.System($"writer {w}"), _clock.GetUtcNow(), "test.concurrent", targetId: $"{w}-{i}b");
                await db.SaveChangesAsync();
            }
        })).ToList();
        start.Release(20);
        await Task.WhenAll(writers);

        var ra = await Chain.VerifyAsync(a);
        var rb = await Chain.VerifyAsync(b);
        Assert.True(ra.Intact, $"{ra.Break} {ra.Detail}");
        Assert.True(rb.Intact, $"{rb.Break} {rb.Detail}");
        Assert.Equal((201L, 101L), (ra.EntriesChecked, rb.EntriesChecked));
        await using var check = factory.SystemDb();
        Assert.Equal(Enumerable.Range(1, 201).Select(i => (long?)i),
            await check.AuditEntries.Where(x => x.OrganisationId == a).OrderBy(x => x.Sequence).Select(x => x.Sequence).ToListAsync());
    }

    [Fact]
    public async Task RolledBackTransaction_LeavesNoLink_AndAFailedSaveGivesItsSequencesBack()
    {
        var (org, _) = await OrganisationWithEntriesAsync("Chain K", 2);
        await using (var db = factory.SystemDb())
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            AuditLog.Add(db, org, AuditActor.System("test"), _clock.GetUtcNow(), "test.rolled_back");
            await db.SaveChangesAsync();
            await tx.RollbackAsync();
        }
        await using (var db = factory.SystemDb())
        {
            // In the caller's transaction, a save that fails (a second organisation row with a taken id) must not keep its links.
            await using var tx = await db.Database.BeginTransactionAsync();
            AuditLog.Add(db, org, AuditActor.System("test"), _clock.GetUtcNow(), "test.failed_save");
            var duplicate = new Organisation("dup", "Asia/Shanghai", OrganisationKind.Government);
            db.Organisations.Add(duplicate);
            db.Entry(duplicate).Property(o => o.Id).CurrentValue = org;
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
            db.ChangeTracker.Clear();
            AuditLog.Add(db, org, AuditActor.System("test"), _clock.GetUtcNow(), "test.after_failure");
            await db.SaveChangesAsync();
            await tx.CommitAsync();
        }
        await using (var db = factory.SystemDb())
        {
            Assert.False(await db.AuditEntries.AnyAsync(a => a.OrganisationId == org && (a.Action == "test.rolled_back" || a.Action == "test.failed_save")));
            Assert.Equal(3, await db.AuditEntries.Where(a => a.OrganisationId == org && a.Action == "test.after_failure").Select(a => a.Sequence).SingleAsync());
        }
        var result = await Chain.VerifyAsync(org);
        Assert.True(result.Intact, $"{result.Break} {result.Detail}");
        Assert.Equal(3, result.EntriesChecked);
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
    public async Task Checkpoints_AreSignedLines_CheckableWithThePublicKeyAlone_AndForgedLinesAreIgnored()
    {
        var (org, _) = await OrganisationWithEntriesAsync("Chain P", 3);
        await Checkpoints.RunAsync(default);
        var lines = await File.ReadAllLinesAsync(Checkpoints.FilePath);
        var line = lines.Select(SignedCheckpoint.Parse).Last(c => c!.OrganisationId == org)!;
        Assert.Equal(3, line.Sequence);
        await using (var db = factory.SystemDb())
            Assert.Equal(await db.AuditChainHeads.Where(h => h.OrganisationId == org).Select(h => h.LastHash).SingleAsync(), line.HeadMac);
        Assert.Equal(Keys.Current.Id, line.KeyId);

        using var publicKey = ECDsa.Create();
        publicKey.ImportFromPem(Checkpoints.PublicKeyPem);
        Assert.True(publicKey.VerifyData(Encoding.UTF8.GetBytes(line.Checkpoint.Payload()), Convert.FromBase64String(line.Signature), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.False(publicKey.VerifyData(Encoding.UTF8.GetBytes((line.Checkpoint with { Sequence = 2 }).Payload()), Convert.FromBase64String(line.Signature), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.DoesNotContain("\"Checkpoint\"", lines.Last());

        // Someone who can write the file but not sign appends a checkpoint of their own: it is no anchor.
        var invalidBefore = Checkpoints.InvalidLines;
        await File.AppendAllTextAsync(Checkpoints.FilePath, (line with { Sequence = 99 }).ToJson() + "\n");
        Assert.Equal(3, (await Checkpoints.LatestAsync(org, default))!.Sequence);
        Assert.Equal(invalidBefore + 1, Checkpoints.InvalidLines);
    }

    [Fact]
    public async Task Admin_DownloadsASignedCheckpoint_TheDownloadIsAudited_AndAKeptCheckpointIsAnAnchor()
    {
        var school = await factory.OrganisationIdAsync(ClassExit.Portal.Data.Seed.DemoSeeder.SchoolName);
        var client = factory.CreateBrowserLikeClient();
        await factory.SignInAsync(client, "auditor@school.demo");
        var response = await client.GetAsync("/exports/audit-checkpoint.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var kept = SignedCheckpoint.Parse(await response.Content.ReadAsStringAsync());
        Assert.NotNull(kept);
        Assert.Equal(school, kept.OrganisationId);
        Assert.True(Checkpoints.IsAuthentic(kept));
        await using (var db = factory.SystemDb())
        {
            var download = await db.AuditEntries.Where(a => a.OrganisationId == school && a.Action == "audit.checkpoint_downloaded").OrderByDescending(a => a.Id).FirstAsync();
            Assert.True(download.Sequence <= kept.Sequence);
        }
        var key = await client.GetStringAsync("/exports/audit-checkpoint-key.pem");
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", key);

        var anchored = await Chain.VerifyAsync(school, kept.Checkpoint);
        Assert.True(anchored.Intact, $"{anchored.Break} {anchored.Detail}");
        Assert.Equal(kept.Sequence, anchored.Checkpoint!.Sequence);

        var student = factory.CreateBrowserLikeClient();
        await factory.SignInAsync(student, "student1@school.demo");
        var refused = await student.GetAsync("/exports/audit-checkpoint.json");
        Assert.NotEqual(HttpStatusCode.OK, refused.StatusCode);
    }

    [Fact]
    public async Task Search_KeysetPagesAndFilters_ExportStreamsCsvAndIsAudited()
    {
        var school = await factory.OrganisationIdAsync(ClassExit.Portal.Data.Seed.DemoSeeder.SchoolName);
        await using (var seed = factory.SystemDb())
        {
            for (var i = 0; i < 120; i++) AuditLog.Add(seed, school, AuditActor.System("paging test"), _clock.GetUtcNow(), "test.paging", targetId: i.ToString());
            // One security event of its own, so that the security filter has something to find whatever ran before.
            AuditLog.Add(seed, school, AuditActor.System("paging test"), _clock.GetUtcNow(), "test.security", securityEvent: true);
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
        Assert.NotEmpty(exits.Items);
        Assert.All(exits.Items, r => Assert.StartsWith("exit.", r.Action));
        var security = await search.SearchAsync(new AuditFilter(SecurityOnly: true));
        Assert.Contains(security.Items, r => r.Action == "test.security");
        Assert.All(security.Items, r => Assert.True(r.IsSecurityEvent));
        var seeded = await search.SearchAsync(new AuditFilter(Action: "demo.seeded"));
        Assert.Equal("demo.seeded", Assert.Single(seeded.Items).Action);

        var client = factory.CreateBrowserLikeClient();
        await factory.SignInAsync(client, "auditor@school.demo");
        var csv = await client.GetAsync("/exports/audit.csv?action=exit.");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("\uFEFFid,sequence,occurred_at_utc,action", lines[0]);
        Assert.True(lines.Length > 1, "the export has no rows");
        Assert.All(lines.Skip(1), l => Assert.Contains(",exit.", l));
        await using var db = factory.SystemDb();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "audit.exported" && a.Details!.Contains($"\"rows\":{lines.Length - 1}")));
        // Auditors cannot export other organisations' entries: the filter is the tenant's.
        Assert.DoesNotContain(lines, l => l.Contains("Demo Finance"));
    }
}
