using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Ownership;
using ClassExit.Portal.Features.Audit;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Ownership;

/// <summary>Expires ownership proposals that waited past their expiry. Safe to run twice: an expired proposal is not pending any more.</summary>
public sealed class TransferExpiryJob(IDbContextFactory<PortalDbContext> factory, TimeProvider clock, Notifications.PortalEvents events)
{
    public const string JobId = "ownership-transfer-expiry";

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var due = await db.OwnershipTransfers.Where(t => t.Status == TransferStatus.Pending && t.ExpiresAt <= now).OrderBy(t => t.Id).Take(1000).ToListAsync(ct);
        if (due.Count == 0) return 0;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var t in due)
        {
            t.Expire(now);
            AuditLog.Add(db, t.OrganisationId, AuditActor.System("transfer expiry job"), now, "ownership.expired", AuditOutcome.Succeeded,
                "OwnershipTransfer", t.Id.ToString(), t.ClassId, t.ToMemberId);
            await events.RaiseAsync(db, OwnershipService.TransferEvent(t, Domain.Notifications.EventKinds.TransferExpired, now, null), ct);
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return due.Count;
    }
}
