using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.DeviceSync;

public sealed record DeviceItem(string DeviceId, Platform Platform, NetworkClass NetworkClass, string ClientVersion, long AcknowledgedVersion, bool Stale);

public sealed record MemberDevices(long MembershipVersion, IReadOnlyList<DeviceItem> Items);

public sealed record SyncAckResult(int? Code, long MembershipVersion, bool ResyncRequired);

public sealed record StaleDeviceRow(string DeviceId, long MemberId, string MemberName, Platform Platform, NetworkClass NetworkClass, string ClientVersion,
    long AcknowledgedVersion, long? MissedVersion, DateTimeOffset? MissedChangeAt, DateTimeOffset? FlaggedAt, bool ResyncRequested);

/// <summary>Devices learning of membership changes: acknowledgements, stale devices, admin remedies.</summary>
public sealed class DeviceSyncService(TenantDb tenantDb, TimeProvider clock, StepUpVerifier stepUp, PortalAuthorizer authorizer)
{
    /// <summary>Null when the member is not in the organisation, or the caller does not read organisation-wide lists (ADR 0007).</summary>
    public async Task<MemberDevices?> DevicesAsync(long memberId, CancellationToken ct = default)
    {
        if (!ReadScope.ReadsOrganisation(await tenantDb.UserAsync())) return null;
        await using var db = await tenantDb.CreateAsync(ct);
        var version = await db.Members.Where(m => m.Id == memberId).Select(m => (long?)m.MembershipVersion).SingleOrDefaultAsync(ct);
        if (version is null) return null;
        var items = await db.Devices.AsNoTracking().Where(d => d.MemberId == memberId).OrderBy(d => d.Id)
            .Select(d => new DeviceItem(d.Id, d.Platform, d.NetworkClass, d.ClientVersion, d.AcknowledgedVersion, d.IsStale)).ToListAsync(ct);
        return new MemberDevices(version.Value, items);
    }

    /// <summary>
    /// A device says which membership version it has applied. Records the sync time of every change it thereby learnt, resolves
    /// a stale flag, and hands back a pending resync request once.
    /// </summary>
    public async Task<SyncAckResult> AcknowledgeAsync(string deviceId, long version, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandOrganisationAsync(db, user, PortalAction.AcknowledgeSync, "Device", deviceId, ct) is { } refused)
            return new SyncAckResult(refused, 0, false);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var device = await db.Devices.SingleOrDefaultAsync(d => d.Id == deviceId, ct);
        if (device is null) return new SyncAckResult(ErrorCatalogue.NotFound, 0, false);
        var current = await db.Members.Where(m => m.Id == device.MemberId).Select(m => m.MembershipVersion).SingleAsync(ct);
        if (version > current || version < 0) return new SyncAckResult(ErrorCatalogue.MalformedRequest, current, false);

        var learnt = await db.MembershipChanges.AsNoTracking()
            .Where(c => c.MemberId == device.MemberId && c.Version > device.AcknowledgedVersion && c.Version <= version).ToListAsync(ct);
        db.DeviceSyncSamples.AddRange(device.AcknowledgeChanges(learnt, version, current, clock.GetUtcNow()));
        var resync = device.ResyncRequested;
        if (resync) device.RequestResync(false);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new SyncAckResult(null, current, resync);
    }

    /// <summary>Stale devices of the organisation; empty for a caller who does not read organisation-wide lists (ADR 0007).</summary>
    public async Task<PagedResult<StaleDeviceRow>> StaleAsync(NetworkClass? network, PageRequest page, CancellationToken ct = default)
    {
        if (!ReadScope.ReadsOrganisation(await tenantDb.UserAsync())) return new PagedResult<StaleDeviceRow>([], 0);
        await using var db = await tenantDb.CreateAsync(ct);
        var query = from d in db.Devices.AsNoTracking()
                    join m in db.Members on d.MemberId equals m.Id
                    where d.IsStale
                    select new { d, m.DisplayName };
        if (network is { } n) query = query.Where(x => x.d.NetworkClass == n);
        var total = await query.CountAsync(ct);
        var rows = await query.OrderBy(x => x.d.StaleFlaggedAt).ThenBy(x => x.d.Id).Skip(page.Skip).Take(page.PageSize)
            .Select(x => new StaleDeviceRow(x.d.Id, x.d.MemberId, x.DisplayName, x.d.Platform, x.d.NetworkClass, x.d.ClientVersion, x.d.AcknowledgedVersion,
                x.d.StaleSinceVersion, db.MembershipChanges.Where(c => c.MemberId == x.d.MemberId && c.Version == x.d.StaleSinceVersion).Select(c => (DateTimeOffset?)c.ChangedAt).FirstOrDefault(),
                x.d.StaleFlaggedAt, x.d.ResyncRequested))
            .ToListAsync(ct);
        return new PagedResult<StaleDeviceRow>(rows, total);
    }

    public async Task<int?> RequestResyncAsync(string deviceId, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandOrganisationAsync(db, user, PortalAction.RequestResync, "Device", deviceId, ct) is { } refused) return refused;
        var device = await db.Devices.SingleOrDefaultAsync(d => d.Id == deviceId, ct);
        if (device is null) return await authorizer.NotFoundAsync(db, user, PortalAction.RequestResync, "Device", deviceId, ct);
        device.RequestResync();
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), clock.GetUtcNow(), "device.resync_requested", AuditOutcome.Succeeded, "Device", deviceId,
            memberId: device.MemberId, details: new { device.NetworkClass, device.AcknowledgedVersion });
        await db.SaveChangesAsync(ct);
        return null;
    }

    /// <summary>
    /// The portal's "force exit": a member stuck in a class (a pending exit nobody will decide, or a half-synchronised state) is put
    /// into a consistent state: the exit completes as a removal, or the member returns to active. Devices must resync; their local
    /// messages of the class are cleared. Step-up and audit.
    /// </summary>
    public async Task<int?> ResetMemberStateAsync(long classId, long memberId, bool completeExit, string password, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandClassAsync(db, user, PortalAction.ResetMemberState, classId, memberId, ct) is { } refused) return refused;
        if (!await stepUp.VerifyAsync(user, password, "member.state_reset", db, ct)) return ErrorCatalogue.StepUpFailed;
        var now = clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var membership = await db.Memberships.SingleOrDefaultAsync(m => m.ClassId == classId && m.MemberId == memberId, ct);
        if (membership is null) return ErrorCatalogue.NotFound;
        if (membership.Role == ClassRole.Owner && completeExit) return ErrorCatalogue.OwnerMustTransfer;
        var before = membership.State;
        foreach (var open in await db.ExitRequests.Where(ExitRequest.Open).Where(e => e.ClassId == classId && e.MemberId == memberId).ToListAsync(ct))
            open.Cancel(now, "member state reset by an admin");
        membership.ResetState(completeExit, now);
        var member = await db.Members.SingleAsync(m => m.Id == memberId, ct);
        var version = member.BumpMembershipVersion(now);
        db.MembershipChanges.Add(new MembershipChange(member.OrganisationId, memberId, version, classId, "StateReset", now));
        await db.Devices.Where(d => d.MemberId == memberId).ExecuteUpdateAsync(u => u.SetProperty(d => d.ResyncRequested, true), ct);
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), now, "member.state_reset", AuditOutcome.Succeeded, "Membership", membership.Id.ToString(),
            classId, memberId, securityEvent: true, details: new { before = before.ToString(), after = membership.State.ToString(), complete_exit = completeExit, version });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return null;
    }
}
