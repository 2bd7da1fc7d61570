using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Devices;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.DeviceSync;

/// <summary>
/// Demo only: plays the members' other devices. Each device behind on a change acknowledges it after a delay typical of its network
/// class (same network 5–30 s, cross-carrier 45–120 s, international 3–6 min); about as many as the guide's failure rates never do.
/// Decisions are a hash of device and version, so a rerun decides the same (safe to run twice).
/// </summary>
public sealed class DeviceSimulatorJob(IDbContextFactory<PortalDbContext> factory, TimeProvider clock)
{
    public const string JobId = "demo-device-simulator";

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var behind = await (from d in db.Devices
                            join c in db.MembershipChanges on d.MemberId equals c.MemberId
                            where c.Version == d.AcknowledgedVersion + 1
                            select new { d.Id, d.NetworkClass, c.Version, c.ChangedAt, Change = c }).Take(5000).ToListAsync(ct);
        var acknowledged = 0;
        foreach (var b in behind)
        {
            var roll = StableRoll(b.Id, b.Version);
            var (failPercent, minSeconds, maxSeconds) = b.NetworkClass switch
            {
                NetworkClass.SameNetwork => (0.2, 5, 30),
                NetworkClass.CrossCarrier => (1.7, 45, 120),
                _ => (12.3, 180, 360),
            };
            if (roll * 100 < failPercent) continue;
            var delay = TimeSpan.FromSeconds(minSeconds + (maxSeconds - minSeconds) * StableRoll(b.Id + "#delay", b.Version));
            if (now - b.ChangedAt < delay) continue;
            // The same domain step as the real API: the device acknowledges what it applied.
            var device = await db.Devices.SingleAsync(d => d.Id == b.Id, ct);
            var current = await db.Members.Where(m => m.Id == device.MemberId).Select(m => m.MembershipVersion).SingleAsync(ct);
            db.DeviceSyncSamples.AddRange(device.AcknowledgeChanges([b.Change], b.Version, current, b.ChangedAt + delay));
            acknowledged++;
        }
        await db.SaveChangesAsync(ct);
        return acknowledged;
    }

    private static double StableRoll(string deviceId, long version)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{deviceId}:{version}"));
        return BitConverter.ToUInt32(hash, 0) / (double)uint.MaxValue;
    }
}
