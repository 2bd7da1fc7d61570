using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.ExitPolicies;

public sealed record BindingDeviceRow(string DeviceId, Platform Platform, NetworkClass NetworkClass, string MacAddress, string ClientVersion, bool IsBound);

public sealed record BindingMemberOption(long MemberId, string DisplayName, string EmployeeNo, int Devices, int Bound);

/// <summary>
/// Device binding (guide §5): when the organisation requires it, a member may leave only from a device bound to them (MAC). Enterprise
/// admins bind and unbind devices here; each change asks for step-up and is audited with before and after.
/// </summary>
public sealed class DeviceBindingService(TenantDb tenantDb, TimeProvider clock, StepUpVerifier stepUp, PortalAuthorizer authorizer)
{
    public async Task<IReadOnlyList<BindingMemberOption>> MembersAsync(string? search, CancellationToken ct = default)
    {
        search = TextLimits.Cut(search, TextLimits.Search);
        await using var db = await tenantDb.CreateAsync(ct);
        var query = db.Members.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(search))
        {
            var s = search.Trim();
            query = query.Where(m => m.DisplayName.Contains(s) || m.EmployeeNo.Contains(s));
        }
        return await query.OrderBy(m => m.EmployeeNo).Take(30)
            .Select(m => new BindingMemberOption(m.Id, m.DisplayName, m.EmployeeNo,
                db.Devices.Count(d => d.MemberId == m.Id), db.Devices.Count(d => d.MemberId == m.Id && d.IsBound)))
            .ToListAsync(ct);
    }

    public async Task<IReadOnlyList<BindingDeviceRow>> DevicesAsync(long memberId, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        return await db.Devices.AsNoTracking().Where(d => d.MemberId == memberId).OrderBy(d => d.Id)
            .Select(d => new BindingDeviceRow(d.Id, d.Platform, d.NetworkClass, d.MacAddress, d.ClientVersion, d.IsBound)).ToListAsync(ct);
    }

    public async Task<int?> SetBoundAsync(string deviceId, bool bound, string password, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandOrganisationAsync(db, user, PortalAction.BindDevice, "Device", deviceId, ct) is { } refused) return refused;
        var device = await db.Devices.SingleOrDefaultAsync(d => d.Id == deviceId, ct);
        if (device is null) return await authorizer.NotFoundAsync(db, user, PortalAction.BindDevice, "Device", deviceId, ct);
        if (!await stepUp.VerifyAsync(user, password, "device.binding_changed", db, ct)) return ErrorCatalogue.StepUpFailed;
        if (device.IsBound == bound) return null;
        var before = device.IsBound;
        device.Bind(bound);
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), clock.GetUtcNow(), "device.binding_changed", AuditOutcome.Succeeded,
            "Device", device.Id, memberId: device.MemberId, securityEvent: true,
            details: new { before = new { bound = before }, after = new { bound }, device.MacAddress });
        await db.SaveChangesAsync(ct);
        return null;
    }
}
