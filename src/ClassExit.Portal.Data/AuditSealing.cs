using System.Data.Common;
using ClassExit.Portal.Domain.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace ClassExit.Portal.Data;

/// <summary>
/// Seals new audit entries in the transaction that writes them: one atomic <c>UPDATE … RETURNING</c> (SQLite) /
/// <c>UPDATE … OUTPUT</c> (SQL Server) per organisation reserves the next sequences and returns the previous MAC, while holding
/// the head row's write lock until commit, so concurrent writers queue on the head instead of forking the chain; each entry then
/// gets its sequence, previous MAC and HMAC before it is inserted. No scan runs inside the transaction: three short statements
/// per organisation (reserve, insert, record the new head).
/// </summary>
internal static class AuditSealing
{
    internal sealed record Reservation(long OrganisationId, long PreviousSequence, string? PreviousHash, List<AuditEntry> Entries)
    {
        public string? LastHash => Entries[^1].Hash;
    }

    public static async Task<List<Reservation>> ReserveAsync(PortalDbContext db, IReadOnlyList<AuditEntry> added, AuditKey key, CancellationToken ct)
    {
        var reservations = new List<Reservation>();
        using var calculator = new AuditMacCalculator();
        // Heads in ascending organisation order: two transactions touching the same two heads cannot deadlock (SQL Server).
        foreach (var group in added.GroupBy(e => e.OrganisationId ?? 0).OrderBy(g => g.Key))
        {
            var entries = group.ToList();
            var (previousSequence, previousHash) = await AdvanceAsync(db, group.Key, entries.Count, ct);
            var reservation = new Reservation(group.Key, previousSequence, previousHash, entries);
            reservations.Add(reservation);
            var sequence = previousSequence;
            var previous = previousHash;
            foreach (var entry in entries)
            {
                sequence++;
                var mac = calculator.Compute(key, entry, sequence, previous);
                entry.Seal(sequence, previous, mac, key.Id);
                previous = mac;
            }
        }
        return reservations;
    }

    /// <summary>After the insert: the head records the last MAC and row id (still under the lock taken by <see cref="ReserveAsync"/>).</summary>
    public static async Task CompleteAsync(PortalDbContext db, IEnumerable<Reservation> reservations, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var r in reservations)
            await ExecuteAsync(db, "UPDATE AuditChainHeads SET LastHash = @hash, LastEntryId = @id, SealedAt = @now WHERE OrganisationId = @org",
                ct, ("@hash", r.LastHash), ("@id", r.Entries.Max(e => e.Id)), ("@now", Time(db, now)), ("@org", r.OrganisationId));
    }

    /// <summary>The insert failed inside the caller's transaction: give the reserved sequences back (the lock is still ours).</summary>
    public static async Task ReleaseAsync(PortalDbContext db, IEnumerable<Reservation> reservations)
    {
        foreach (var r in reservations)
            await ExecuteAsync(db, "UPDATE AuditChainHeads SET LastSequence = @seq, LastHash = @hash WHERE OrganisationId = @org",
                CancellationToken.None, ("@seq", r.PreviousSequence), ("@hash", r.PreviousHash), ("@org", r.OrganisationId));
    }

    private static async Task<(long Sequence, string? Hash)> AdvanceAsync(PortalDbContext db, long org, int count, CancellationToken ct)
    {
        var sqlServer = db.Database.IsSqlServer();
        var update = sqlServer
            ? "UPDATE [AuditChainHeads] SET [LastSequence] = [LastSequence] + @n OUTPUT deleted.[LastSequence], deleted.[LastHash] WHERE [OrganisationId] = @org"
            : "UPDATE AuditChainHeads SET LastSequence = LastSequence + @n WHERE OrganisationId = @org RETURNING LastSequence - @n, LastHash";
        for (var attempt = 0; attempt < 2; attempt++)
        {
            await using (var command = Command(db, update, ("@n", count), ("@org", org)))
            await using (var reader = await command.ExecuteReaderAsync(ct))
                if (await reader.ReadAsync(ct))
                    return (reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1));
            // A new organisation's (or organisation 0's) first entry: create its head race-free, then reserve on it.
            var insert = sqlServer
                ? "INSERT INTO [AuditChainHeads] ([OrganisationId], [LastSequence], [LastEntryId]) SELECT @org, 0, 0 WHERE NOT EXISTS (SELECT 1 FROM [AuditChainHeads] WITH (UPDLOCK, HOLDLOCK) WHERE [OrganisationId] = @org)"
                : "INSERT INTO AuditChainHeads (OrganisationId, LastSequence, LastEntryId) VALUES (@org, 0, 0) ON CONFLICT DO NOTHING";
            await ExecuteAsync(db, insert, ct, ("@org", org));
        }
        throw new InvalidOperationException($"The audit chain head of organisation {org} could not be created.");
    }

    private static object Time(PortalDbContext db, DateTimeOffset now) => db.Database.IsSqlServer() ? now : now.UtcTicks;

    private static async Task ExecuteAsync(PortalDbContext db, string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(db, sql, parameters);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static DbCommand Command(PortalDbContext db, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        foreach (var (name, value) in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            command.Parameters.Add(p);
        }
        return command;
    }
}
