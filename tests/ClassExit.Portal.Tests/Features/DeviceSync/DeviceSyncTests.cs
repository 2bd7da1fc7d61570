using ClassExit.Portal.Infrastructure.Authorization;
using System.Net;
using System.Net.Http.Json;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Features.DeviceSync;
using ClassExit.Portal.Tests.Features.ExitRequests;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ClassExit.Portal.Tests.Features.DeviceSync;

[Collection(PortalCollection.Name)]
public class DeviceSyncTests(PortalFactory factory)
{
    /// <summary>A new student of a class of an organisation of the test's own, with one device per network class, who then leaves (version 1).</summary>
    private async Task<(long MemberId, string[] Devices, DateTimeOffset ChangedAt, TestOrganisation Org)> MemberWhoLeftAsync(string tag)
    {
        var org = await TestOrganisation.CreateAsync(factory, "sync-" + tag);
        var c = await org.AddClassAsync($"{tag} 班", students: 1);
        long memberId;
        var devices = new[] { $"{org.Tag}-same", $"{org.Tag}-carrier", $"{org.Tag}-intl" };
        await using (var db = factory.SystemDb())
        {
            var member = new Member(org.Id, $"同步测试 {tag}", $"SYNC-{tag}");
            db.Members.Add(member);
            await db.SaveChangesAsync();
            memberId = member.Id;
            db.Memberships.Add(new Membership(org.Id, c.ClassId, memberId, ClassRole.Student, org.Clock.GetUtcNow().AddDays(-10)));
            db.Devices.Add(new Device(devices[0], org.Id, memberId, Platform.Windows, NetworkClass.SameNetwork, "3.2.1", "00:00:00:00:00:01", true));
            db.Devices.Add(new Device(devices[1], org.Id, memberId, Platform.Android, NetworkClass.CrossCarrier, "3.2.1", "00:00:00:00:00:02", true));
            db.Devices.Add(new Device(devices[2], org.Id, memberId, Platform.Ios, NetworkClass.International, "3.2.1", "00:00:00:00:00:03", true));
            await db.SaveChangesAsync();
        }
        var exit = await factory.WithKey(org.ApiKey).SendAsync(ExitApiTests.Exit(factory, c.ClassId, new { member_id = memberId, channel = "pc", verification = "sms" }, deviceId: devices[0]));
        Assert.Equal(HttpStatusCode.OK, exit.StatusCode);
        await using var check = factory.SystemDb();
        var change = await check.MembershipChanges.SingleAsync(c => c.MemberId == memberId);
        Assert.Equal(1, change.Version);
        return (memberId, devices, change.ChangedAt, org);
    }

    private SyncCheckJob Job(DateTimeOffset at) =>
        new(factory.Services.GetRequiredService<IDbContextFactory<ClassExit.Portal.Data.PortalDbContext>>(), new FakeTimeProvider(at),
            factory.Services.GetRequiredService<IOptions<DeviceSyncOptions>>(), factory.Services.GetRequiredService<ClassExit.Portal.Features.Notifications.PortalEvents>());

    private async Task<Dictionary<string, bool>> StaleAsync(string[] devices)
    {
        await using var db = factory.SystemDb();
        var stale = await db.Devices.Where(d => devices.Contains(d.Id)).ToDictionaryAsync(d => d.Id, d => d.IsStale);
        Assert.Equal(devices.Length, stale.Count);
        return stale;
    }

    [Fact]
    public async Task SyncCheck_FlagsEachNetworkClassAtItsOwnThreshold_AndOnlyOnce()
    {
        var (_, devices, changedAt, _) = await MemberWhoLeftAsync("thr");
        await Job(changedAt.AddSeconds(29)).RunAsync(CancellationToken.None);
        Assert.All(await StaleAsync(devices), d => Assert.False(d.Value));

        await Job(changedAt.AddSeconds(31)).RunAsync(CancellationToken.None);
        var s = await StaleAsync(devices);
        Assert.True(s[devices[0]]);
        Assert.False(s[devices[1]]);
        Assert.False(s[devices[2]]);

        await Job(changedAt.AddSeconds(121)).RunAsync(CancellationToken.None);
        s = await StaleAsync(devices);
        Assert.True(s[devices[1]]);
        Assert.False(s[devices[2]]);

        await Job(changedAt.AddSeconds(181)).RunAsync(CancellationToken.None);
        Assert.All(await StaleAsync(devices), d => Assert.True(d.Value));

        await using var db = factory.SystemDb();
        var flaggedAt = await db.Devices.Where(d => d.Id == devices[0]).Select(d => d.StaleFlaggedAt).SingleAsync();
        await Job(changedAt.AddSeconds(400)).RunAsync(CancellationToken.None);
        await using var again = factory.SystemDb();
        var device = await again.Devices.SingleAsync(d => d.Id == devices[0]);
        Assert.Equal(flaggedAt, device.StaleFlaggedAt);
        Assert.Equal(1, device.StaleSinceVersion);
    }

    [Fact]
    public async Task SyncAck_ResolvesStaleDevice_RecordsSyncTime_AndApiShapesMatch()
    {
        var (memberId, devices, changedAt, org) = await MemberWhoLeftAsync("ack");
        await Job(changedAt.AddMinutes(5)).RunAsync(CancellationToken.None);
        var api = factory.WithKey(org.ApiKey);

        var list = await (await api.GetAsync($"/api/v1/members/{memberId}/devices")).JsonAsync();
        Assert.Equal(1, list.GetProperty("membership_version").GetInt64());
        var first = list.GetProperty("items").EnumerateArray().First(i => i.GetProperty("device_id").GetString() == devices[2]);
        Assert.Equal("international", first.GetProperty("network_class").GetString());
        Assert.Equal("ios", first.GetProperty("platform").GetString());
        Assert.True(first.GetProperty("stale").GetBoolean());
        Assert.Equal(0, first.GetProperty("acknowledged_version").GetInt64());

        var ack = await api.PostAsJsonAsync($"/api/v1/devices/{devices[2]}/sync-ack", new { membership_version = 1 });
        Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        var body = await ack.JsonAsync();
        Assert.Equal(1, body.GetProperty("membership_version").GetInt64());
        Assert.False(body.GetProperty("resync_required").GetBoolean());

        await using var db = factory.SystemDb();
        var device = await db.Devices.SingleAsync(d => d.Id == devices[2]);
        Assert.False(device.IsStale);
        Assert.Equal(1, device.AcknowledgedVersion);
        var sample = await db.DeviceSyncSamples.SingleAsync(x => x.DeviceId == devices[2]);
        Assert.True(sample.WasStale);
        Assert.True(sample.SyncMilliseconds >= 0);
        Assert.Equal(NetworkClass.International, sample.NetworkClass);
    }

    [Fact]
    public async Task SyncAck_Refusals()
    {
        var (_, devices, _, org) = await MemberWhoLeftAsync("bad");
        var other = await TestOrganisation.CreateAsync(factory, "sync-foreign");
        var api = factory.WithKey(org.ApiKey);
        var newer = await api.PostAsJsonAsync($"/api/v1/devices/{devices[0]}/sync-ack", new { membership_version = 2 });
        Assert.Equal(HttpStatusCode.BadRequest, newer.StatusCode);
        Assert.Equal(40002, (await newer.JsonAsync()).GetProperty("code").GetInt32());
        var unknown = await api.PostAsJsonAsync("/api/v1/devices/no-such-device/sync-ack", new { membership_version = 0 });
        Assert.Equal(40401, (await unknown.JsonAsync()).GetProperty("code").GetInt32());
        var foreign = await factory.WithKey(other.ApiKey).PostAsJsonAsync($"/api/v1/devices/{devices[0]}/sync-ack", new { membership_version = 0 });
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        var empty = await api.PostAsJsonAsync($"/api/v1/devices/{devices[0]}/sync-ack", new { });
        Assert.Equal(40002, (await empty.JsonAsync()).GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task ForceResync_ReturnedOnceOnNextAck_Audited()
    {
        var (_, devices, _, org) = await MemberWhoLeftAsync("rs");
        var (sync, scope) = await factory.ServiceAsAsync<DeviceSyncService>(org.AdminEmail);
        using var _ = scope;
        Assert.Null(await sync.RequestResyncAsync(devices[1]));
        var api = factory.WithKey(org.ApiKey);
        var first = await (await api.PostAsJsonAsync($"/api/v1/devices/{devices[1]}/sync-ack", new { membership_version = 1 })).JsonAsync();
        Assert.True(first.GetProperty("resync_required").GetBoolean());
        var second = await (await api.PostAsJsonAsync($"/api/v1/devices/{devices[1]}/sync-ack", new { membership_version = 1 })).JsonAsync();
        Assert.False(second.GetProperty("resync_required").GetBoolean());
        await using var db = factory.SystemDb();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "device.resync_requested" && a.TargetId == devices[1]));
    }

    [Fact]
    public async Task ResetMemberState_StuckPendingExitBecomesActive_DevicesMustResync()
    {
        var org = await TestOrganisation.CreateAsync(factory, "reset", new ClassExit.Portal.Domain.Organisations.ExitPolicy { ExitRequiresApproval = true },
            ClassExit.Portal.Domain.Organisations.OrganisationKind.Finance);
        var (classId, _, members) = await org.AddClassAsync("合规培训 1班");
        var student = members.First(m => m.Role == ClassRole.Student).MemberId;
        var pending = await factory.WithKey(org.ApiKey).SendAsync(ExitApiTests.Exit(factory, classId, new { member_id = student, channel = "pc", verification = "sms" }));
        Assert.Equal(HttpStatusCode.Accepted, pending.StatusCode);

        var (sync, scope) = await factory.ServiceAsAsync<DeviceSyncService>(org.AdminEmail);
        using var _ = scope;
        Assert.Equal(ClassExit.Portal.Domain.Errors.ErrorCatalogue.StepUpFailed, await sync.ResetMemberStateAsync(classId, student, completeExit: false, "wrong"));
        Assert.Null(await sync.ResetMemberStateAsync(classId, student, completeExit: false, DemoSeeder.Password));

        await using var db = factory.SystemDb();
        Assert.Equal(MembershipState.Active, (await db.Memberships.SingleAsync(m => m.ClassId == classId && m.MemberId == student)).State);
        Assert.Equal(ClassExit.Portal.Domain.Exits.ExitRequestStatus.Cancelled,
            (await db.ExitRequests.Where(e => e.ClassId == classId && e.MemberId == student).OrderBy(e => e.Id).LastAsync()).Status);
        var devices = await db.Devices.Where(d => d.MemberId == student).ToListAsync();
        Assert.NotEmpty(devices);
        Assert.All(devices, d => Assert.True(d.ResyncRequested));
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "member.state_reset" && a.MemberId == student && a.IsSecurityEvent));
    }

    [Fact]
    public void Percentile_NearestRank() =>
        Assert.Equal((2.0, 10.0), (SyncHealthService.Percentile([1, 2, 3, 10], 0.5)!.Value, SyncHealthService.Percentile([1, 2, 3, 10], 0.95)!.Value));
}
