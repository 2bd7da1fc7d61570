using System.Reflection;
using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Ownership;
using ClassExit.Portal.Domain.Retention;
using ClassExit.Portal.Features.ApiKeys;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.BulkExits;
using ClassExit.Portal.Features.DeviceSync;
using ClassExit.Portal.Features.ExitPolicies;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Features.Ownership;
using ClassExit.Portal.Features.ReasonCodes;
using ClassExit.Portal.Features.Retention;
using ClassExit.Portal.Features.Users;
using ClassExit.Portal.Features.Webhooks;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ClassExit.Portal.Tests.Features.Authorization;

public sealed class MatrixWorldFixture : IAsyncLifetime
{
    public MatrixWorld World { get; private set; } = null!;

    public async Task InitializeAsync() => World = await MatrixWorld.CreateAsync();

    public Task DisposeAsync() => World.DisposeAsync().AsTask();
}

/// <summary>
/// Every state-changing service method × every persona × own / other class → allowed or refused, asserted on the database: a refusal
/// changes no table and writes exactly one audit entry (outcome Refused, a catalogue code); an allowed call writes no refusal and
/// does what it says. One table (<see cref="Rows"/>) drives it, and <see cref="EveryStateChangingMethod_HasARow"/> fails when a
/// service gains a public method that is neither in the table nor declared a read.
/// </summary>
/// <remarks>
/// In the portal collection, not beside it: the portal host's Hangfire sets a process-wide log provider, and a cell must not build
/// its job client after that host has been disposed.
/// </remarks>
[Collection(PortalCollection.Name)]
public sealed class AuthorizationMatrixTests(MatrixWorldFixture fixture) : IClassFixture<MatrixWorldFixture>
{
    private static readonly int[] RefusalCodes =
    [
        ErrorCatalogue.Forbidden, ErrorCatalogue.NotFound, ErrorCatalogue.SelfApproval, ErrorCatalogue.RequesterCannotDecide,
        ErrorCatalogue.DeciderLeavingClass, ErrorCatalogue.TransferNotAddressedToYou, ErrorCatalogue.ProposerCannotAccept,
    ];

    /// <summary>What a cell has to work with: the world, its own database, the services acting as the persona, what was arranged.</summary>
    public sealed record Cell(MatrixWorld World, bool Own, IServiceProvider Services, IReadOnlyDictionary<string, long> Arranged)
    {
        public T Get<T>() where T : notnull => Services.GetRequiredService<T>();
        public long ClassId => World.ClassOf(Own);
    }

    /// <param name="Method">Service.Method, with a #suffix when one method has several rows (one per way in).</param>
    /// <param name="ClassScoped">True: a column per own / other class; false: one column for the organisation.</param>
    /// <param name="OwnClass">Personas allowed on their own class (or on the organisation when not class-scoped).</param>
    /// <param name="OtherClass">Personas allowed on a class where they hold no role.</param>
    /// <param name="Arrange">Sets up, in system scope, what the call needs; returns named ids.</param>
    /// <param name="Act">Calls the service as the persona.</param>
    /// <param name="Done">On an allowed call: did it happen (read in system scope)?</param>
    public sealed record Row(string Method, bool ClassScoped, Persona[] OwnClass, Persona[] OtherClass,
        Func<PortalDbContext, MatrixWorld, bool, Task<Dictionary<string, long>>> Arrange, Func<Cell, Task> Act,
        Func<PortalDbContext, Cell, Task<bool>> Done);

    private static readonly Persona[] Nobody = [];
    private static Persona[] Only(params Persona[] p) => p;
    private static Task<Dictionary<string, long>> NoArrange(PortalDbContext db, MatrixWorld w, bool own) => Task.FromResult(new Dictionary<string, long>());
    private static Func<PortalDbContext, Cell, Task<bool>> Audited(string action) =>
        (db, c) => db.AuditEntries.AnyAsync(a => a.Action == action && a.Outcome == AuditOutcome.Succeeded);

    private static async Task<Dictionary<string, long>> WebhookEndpointAsync(PortalDbContext db, MatrixWorld w, bool own)
    {
        var endpoint = new Domain.Webhooks.WebhookEndpoint(w.OrgA, "https://203.0.113.10/arranged", [Domain.Notifications.EventKinds.MemberExited],
            "arranged", false, null, MatrixWorld.Now.AddDays(-1));
        db.WebhookEndpoints.Add(endpoint);
        await db.SaveChangesAsync();
        var delivery = new Domain.Webhooks.WebhookDelivery(w.OrgA, endpoint.Id, "msg_arranged", WebhookPayload.TestKind, "{}", MatrixWorld.Now.AddDays(-1));
        delivery.Record(MatrixWorld.Now.AddDays(-1), 500, 12, "HTTP 500");
        db.WebhookDeliveries.Add(delivery);
        await db.SaveChangesAsync();
        await db.WebhookDeliveries.Where(d => d.Id == delivery.Id).ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, Domain.Webhooks.WebhookDeliveryStatus.Failed));
        return new() { ["endpoint"] = endpoint.Id, ["delivery"] = delivery.Id };
    }

    private static async Task<Dictionary<string, long>> PendingExitAsync(PortalDbContext db, MatrixWorld w, bool own)
    {
        var student = w.Student(own, 2);
        var request = new ExitRequest(w.OrgA, w.ClassOf(own), student, ClassRole.Student, ExitKind.SelfExit, ExitChannel.Mobile,
            VerificationMethod.Biometric, student, MatrixWorld.Now.AddHours(-2));
        db.ExitRequests.Add(request);
        (await db.Memberships.SingleAsync(m => m.ClassId == w.ClassOf(own) && m.MemberId == student)).MarkExitPending();
        await db.SaveChangesAsync();
        return new() { ["request"] = request.Id, ["student"] = student };
    }

    private static async Task<Dictionary<string, long>> PendingTransferAsync(PortalDbContext db, MatrixWorld w, bool own)
    {
        // Own class: the owner offers it to the teacher persona. Other class: its owner offers it to its own teacher.
        var from = own ? w.People["x-owner"] : w.People["y-owner"];
        var to = own ? w.Accounts[Persona.Teacher].MemberId!.Value : w.People["y-teacher"];
        var transfer = new OwnershipTransfer(w.OrgA, w.ClassOf(own), from, to, from, MatrixWorld.Now.AddHours(-1), MatrixWorld.Now.AddDays(6), null, null);
        db.OwnershipTransfers.Add(transfer);
        await db.SaveChangesAsync();
        return new() { ["transfer"] = transfer.Id };
    }

    private static async Task<Dictionary<string, long>> PrivateReplayAsync(PortalDbContext db, MatrixWorld w, bool own, bool granted)
    {
        var replay = new LiveReplay(w.OrgA, w.ClassOf(own), own ? w.People["x-owner"] : w.People["y-owner"], "复习课回放");
        replay.MakePrivate();
        db.LiveReplays.Add(replay);
        await db.SaveChangesAsync();
        var ids = new Dictionary<string, long> { ["replay"] = replay.Id };
        if (granted)
        {
            var grant = new ReplayGrant(w.OrgA, replay.Id, w.Student(own, 3), replay.CreatorMemberId, MatrixWorld.Now.AddDays(-1));
            db.ReplayGrants.Add(grant);
            await db.SaveChangesAsync();
            ids["grant"] = grant.Id;
        }
        return ids;
    }

    private static async Task<Dictionary<string, long>> ChecklistItemAsync(PortalDbContext db, MatrixWorld w, bool own)
    {
        var cls = await db.Classes.Include(c => c.Checklist).SingleAsync(c => c.Id == w.ClassOf(own));
        var item = cls.AddChecklistItem("客户资料交接");
        await db.SaveChangesAsync();
        return new() { ["item"] = item.Id };
    }

    private static async Task<Dictionary<string, long>> DepartedStudentAsync(PortalDbContext db, MatrixWorld w, bool own)
    {
        var student = w.Student(own, 5);
        (await db.Memberships.SingleAsync(m => m.ClassId == w.ClassOf(own) && m.MemberId == student)).Leave(MatrixWorld.Now.AddDays(-1), forced: false);
        await db.SaveChangesAsync();
        return new() { ["student"] = student };
    }

    private static Task<bool> MembershipIs(PortalDbContext db, long classId, long memberId, params MembershipState[] states) =>
        db.Memberships.AnyAsync(m => m.ClassId == classId && m.MemberId == memberId && states.Contains(m.State));

    public static readonly Row[] Rows =
    [
        new("ExitService.RequestAsync#portal", true, Only(Persona.Admin, Persona.Owner, Persona.ClassAdmin), Only(Persona.Admin), NoArrange,
            c => c.Get<ExitService>().RequestAsync(new ExitCommand(c.ClassId, c.World.Student(c.Own, 1), ExitKind.OnBehalf, ExitChannel.Portal, VerificationMethod.None)),
            (db, c) => db.ExitRequests.AnyAsync(e => e.MemberId == c.World.Student(c.Own, 1) && e.Kind == ExitKind.OnBehalf
                && e.RequestedByMemberId != c.World.Student(c.Own, 1) && e.Status == ExitRequestStatus.Completed)),
        new("ExitService.RequestAsync#client", true, Only(Persona.ApiKey), Only(Persona.ApiKey), NoArrange,
            c => c.Get<ExitService>().RequestAsync(new ExitCommand(c.ClassId, c.World.Student(c.Own, 1), ExitKind.SelfExit, ExitChannel.Mobile, VerificationMethod.Biometric,
                Client: new ClientRequestInfo("3.2.0", $"MX-{c.World.Student(c.Own, 1)}", MatrixWorld.Now))),
            (db, c) => MembershipIs(db, c.ClassId, c.World.Student(c.Own, 1), MembershipState.Left)),
        // HR's own portal account may run HR exits too (the bulk-exit form, issue 18), as their key may.
        new("ExitService.RequestAsync#batch", true, Only(Persona.ApiKey, Persona.Hr), Only(Persona.ApiKey, Persona.Hr), NoArrange,
            c => c.Get<ExitService>().RequestAsync(new ExitCommand(c.ClassId, c.World.Student(c.Own, 1), ExitKind.HrBatch, ExitChannel.Api, VerificationMethod.ApiKey,
                ReasonCode: "200002", OperatorMemberId: c.World.Accounts[Persona.Hr].MemberId)),
            (db, c) => MembershipIs(db, c.ClassId, c.World.Student(c.Own, 1), MembershipState.Removed)),
        new("ExitService.ForceRemoveAsync", true, Only(Persona.Admin), Only(Persona.Admin), NoArrange,
            c => c.Get<ExitService>().ForceRemoveAsync(c.ClassId, c.World.Student(c.Own, 1), "违反班级纪律", MatrixWorld.Password),
            (db, c) => MembershipIs(db, c.ClassId, c.World.Student(c.Own, 1), MembershipState.Removed)),
        new("ExitService.ApproveAsync", true, Only(Persona.Admin, Persona.Owner, Persona.ClassAdmin, Persona.Teacher), Only(Persona.Admin), PendingExitAsync,
            c => c.Get<ExitService>().ApproveAsync(c.Arranged["request"], 0),
            (db, c) => db.ExitRequests.AnyAsync(e => e.Id == c.Arranged["request"] && e.Status == ExitRequestStatus.Completed)),
        new("ExitService.RejectAsync", true, Only(Persona.Admin, Persona.Owner, Persona.ClassAdmin, Persona.Teacher), Only(Persona.Admin), PendingExitAsync,
            c => c.Get<ExitService>().RejectAsync(c.Arranged["request"], 0, "期末前不能退出"),
            (db, c) => db.ExitRequests.AnyAsync(e => e.Id == c.Arranged["request"] && e.Status == ExitRequestStatus.Rejected)),
        new("OwnershipService.ProposeAsync", true, Only(Persona.Admin, Persona.Owner), Only(Persona.Admin), NoArrange,
            c => c.Get<OwnershipService>().ProposeAsync(c.ClassId, c.World.SpareTeacher(c.Own), "请接手本班", []),
            (db, c) => db.OwnershipTransfers.AnyAsync(t => t.ClassId == c.ClassId && t.Status == TransferStatus.Pending)),
        new("OwnershipService.AcceptAsync", true, Only(Persona.Teacher), Nobody, PendingTransferAsync,
            c => c.Get<OwnershipService>().AcceptAsync(c.Arranged["transfer"], 0),
            (db, c) => db.Classes.AnyAsync(k => k.Id == c.ClassId && k.OwnerMemberId == c.World.Accounts[Persona.Teacher].MemberId)),
        new("OwnershipService.DeclineAsync", true, Only(Persona.Teacher), Nobody, PendingTransferAsync,
            c => c.Get<OwnershipService>().DeclineAsync(c.Arranged["transfer"], 0, "not now"),
            (db, c) => db.OwnershipTransfers.AnyAsync(t => t.Id == c.Arranged["transfer"] && t.Status == TransferStatus.Declined)),
        new("OwnershipService.CancelAsync", true, Only(Persona.Admin, Persona.Owner), Only(Persona.Admin), PendingTransferAsync,
            c => c.Get<OwnershipService>().CancelAsync(c.Arranged["transfer"]),
            (db, c) => db.OwnershipTransfers.AnyAsync(t => t.Id == c.Arranged["transfer"] && t.Status == TransferStatus.Cancelled)),
        new("OwnershipService.ForceAsync", true, Only(Persona.Admin), Only(Persona.Admin), NoArrange,
            c => c.Get<OwnershipService>().ForceAsync(c.ClassId, c.World.SpareTeacher(c.Own), MatrixWorld.Password, "创建者离职"),
            (db, c) => db.Classes.AnyAsync(k => k.Id == c.ClassId && k.OwnerMemberId == c.World.SpareTeacher(c.Own))),
        new("DissolutionService.DissolveAsync", true, Only(Persona.Admin, Persona.Owner), Only(Persona.Admin), NoArrange,
            c => c.Get<DissolutionService>().DissolveAsync(c.ClassId, "学期结束", MatrixWorld.Password),
            (db, c) => db.Classes.AnyAsync(k => k.Id == c.ClassId && k.Status == ClassStatus.Dissolved)),
        new("RetentionService.GrantReplayAsync", true, Only(Persona.Admin, Persona.Owner), Only(Persona.Admin), (db, w, own) => PrivateReplayAsync(db, w, own, false),
            c => c.Get<RetentionService>().GrantReplayAsync(c.Arranged["replay"], c.World.Student(c.Own, 3)),
            (db, c) => db.ReplayGrants.AnyAsync(g => g.ReplayId == c.Arranged["replay"] && g.RevokedAt == null)),
        new("RetentionService.RevokeReplayGrantAsync", true, Only(Persona.Admin, Persona.Owner), Only(Persona.Admin), (db, w, own) => PrivateReplayAsync(db, w, own, true),
            c => c.Get<RetentionService>().RevokeReplayGrantAsync(c.Arranged["grant"]),
            (db, c) => db.ReplayGrants.AnyAsync(g => g.Id == c.Arranged["grant"] && g.RevokedAt != null)),
        new("RetentionService.PlaceHoldAsync", true, Only(Persona.Admin), Only(Persona.Admin), NoArrange,
            c => c.Get<RetentionService>().PlaceHoldAsync(c.ClassId, null, "诉讼保全", null),
            (db, c) => db.LegalHolds.AnyAsync(h => h.ClassId == c.ClassId)),
        new("RetentionService.ReleaseHoldAsync", false, Only(Persona.Admin), Nobody,
            async (db, w, own) =>
            {
                var hold = new LegalHold(w.OrgA, w.ClassX, null, "诉讼保全", w.Accounts[Persona.Admin].MemberId!.Value, MatrixWorld.Now.AddDays(-1), null);
                db.LegalHolds.Add(hold);
                await db.SaveChangesAsync();
                return new() { ["hold"] = hold.Id };
            },
            c => c.Get<RetentionService>().ReleaseHoldAsync(c.Arranged["hold"], MatrixWorld.Password),
            (db, c) => db.LegalHolds.AnyAsync(h => h.Id == c.Arranged["hold"] && h.ReleasedAt != null)),
        new("RetentionService.RunNowAsync", false, Only(Persona.Admin, Persona.Foreign), Nobody, NoArrange,
            c => c.Get<RetentionService>().RunNowAsync(MatrixWorld.Password), Audited("retention.run_requested")),
        new("HandoverChecklistService.AddItemAsync", true, Only(Persona.Admin), Only(Persona.Admin), NoArrange,
            c => c.Get<HandoverChecklistService>().AddItemAsync(c.ClassId, "归还实验器材", MatrixWorld.Password),
            (db, c) => db.Classes.Where(k => k.Id == c.ClassId).SelectMany(k => k.Checklist).AnyAsync()),
        new("HandoverChecklistService.RemoveItemAsync", true, Only(Persona.Admin), Only(Persona.Admin), ChecklistItemAsync,
            c => c.Get<HandoverChecklistService>().RemoveItemAsync(c.ClassId, c.Arranged["item"], MatrixWorld.Password),
            (db, c) => db.Classes.Where(k => k.Id == c.ClassId).SelectMany(k => k.Checklist).AllAsync(i => i.Id != c.Arranged["item"])),
        new("HandoverChecklistService.SetCompletedAsync", true, Only(Persona.Admin), Only(Persona.Admin), ChecklistItemAsync,
            c => c.Get<HandoverChecklistService>().SetCompletedAsync(c.ClassId, c.Arranged["item"], c.World.Student(c.Own, 4), true),
            (db, c) => db.HandoverCompletions.AnyAsync(h => h.ChecklistItemId == c.Arranged["item"])),
        new("PolicyService.SaveAsync", false, Only(Persona.Admin, Persona.Foreign), Nobody, NoArrange,
            c => c.Get<PolicyService>().SaveAsync(new Domain.Organisations.ExitPolicy { FreezeWindowDays = 7 }, MatrixWorld.Password),
            Audited("policy.changed")),
        new("PolicyService.SaveTwoFactorRequirementAsync", false, Only(Persona.Admin, Persona.Foreign), Nobody, NoArrange,
            c => c.Get<PolicyService>().SaveTwoFactorRequirementAsync(Domain.Organisations.TwoFactorRequirement.EnterpriseAdmins, MatrixWorld.Password),
            Audited("policy.two_factor_changed")),
        new("PolicyService.SaveClassAsync", true, Only(Persona.Admin), Only(Persona.Admin), NoArrange,
            c => c.Get<PolicyService>().SaveClassAsync(c.ClassId, true, Classification.Normal, DateOnly.FromDateTime(MatrixWorld.Now.UtcDateTime).AddDays(150), MatrixWorld.Password),
            (db, c) => db.Classes.AnyAsync(k => k.Id == c.ClassId && k.ExitLocked)),
        new("PolicyService.SetTermEndAsync", true, Only(Persona.Admin), Only(Persona.Admin), NoArrange,
            c => c.Get<PolicyService>().SetTermEndAsync([c.ClassId], DateOnly.FromDateTime(MatrixWorld.Now.UtcDateTime).AddDays(120), MatrixWorld.Password),
            (db, c) => db.Classes.AnyAsync(k => k.Id == c.ClassId && k.TermEndsOn == DateOnly.FromDateTime(MatrixWorld.Now.UtcDateTime).AddDays(120))),
        new("DeviceBindingService.SetBoundAsync", true, Only(Persona.Admin), Only(Persona.Admin), NoArrange,
            c => c.Get<DeviceBindingService>().SetBoundAsync($"MX-{c.World.Student(c.Own, 6)}", false, MatrixWorld.Password),
            (db, c) => db.Devices.AnyAsync(d => d.Id == $"MX-{c.World.Student(c.Own, 6)}" && !d.IsBound)),
        new("DeviceSyncService.RequestResyncAsync", true, Only(Persona.Admin), Only(Persona.Admin), NoArrange,
            c => c.Get<DeviceSyncService>().RequestResyncAsync($"MX-{c.World.Student(c.Own, 6)}"),
            (db, c) => db.Devices.AnyAsync(d => d.Id == $"MX-{c.World.Student(c.Own, 6)}" && d.ResyncRequested)),
        new("DeviceSyncService.ResetMemberStateAsync", true, Only(Persona.Admin), Only(Persona.Admin), NoArrange,
            c => c.Get<DeviceSyncService>().ResetMemberStateAsync(c.ClassId, c.World.Student(c.Own, 7), true, MatrixWorld.Password),
            (db, c) => MembershipIs(db, c.ClassId, c.World.Student(c.Own, 7), MembershipState.Removed, MembershipState.Left)),
        new("DeviceSyncService.AcknowledgeAsync", true, Only(Persona.ApiKey), Only(Persona.ApiKey),
            async (db, w, own) =>
            {
                // The student's membership changed once (version 1); the device has not learnt it yet.
                var member = await db.Members.SingleAsync(m => m.Id == w.Student(own, 6));
                db.MembershipChanges.Add(new Domain.Devices.MembershipChange(w.OrgA, member.Id, member.BumpMembershipVersion(MatrixWorld.Now.AddMinutes(-5)), w.ClassOf(own), "RoleChange", MatrixWorld.Now.AddMinutes(-5)));
                await db.SaveChangesAsync();
                return [];
            },
            c => c.Get<DeviceSyncService>().AcknowledgeAsync($"MX-{c.World.Student(c.Own, 6)}", 1),
            (db, c) => db.Devices.AnyAsync(d => d.Id == $"MX-{c.World.Student(c.Own, 6)}" && d.AcknowledgedVersion == 1)),
        new("ReasonCodesService.AddAsync", false, Only(Persona.Admin, Persona.Hr, Persona.Foreign), Nobody, NoArrange,
            c => c.Get<ReasonCodesService>().AddAsync("300003", "转学"),
            (db, c) => db.ReasonCodes.AnyAsync(r => r.Code == "300003")),
        new("ReasonCodesService.RetireAsync", false, Only(Persona.Admin, Persona.Hr), Nobody,
            async (db, w, own) => new() { ["code"] = await db.ReasonCodes.Where(r => r.Code == "200001").Select(r => r.Id).SingleAsync() },
            c => c.Get<ReasonCodesService>().RetireAsync(c.Arranged["code"]),
            (db, c) => db.ReasonCodes.AnyAsync(r => r.Id == c.Arranged["code"] && !r.Active)),
        new("ApiKeysService.CreateAsync", false, Only(Persona.Admin, Persona.Hr), Nobody, NoArrange,
            c => c.Get<ApiKeysService>().CreateAsync("人事系统", c.World.Accounts[Persona.Hr].MemberId!.Value, ["read"], MatrixWorld.Password),
            (db, c) => db.ApiKeys.AnyAsync(k => k.Name == "人事系统")),
        new("ApiKeysService.RevokeAsync", false, Only(Persona.Admin, Persona.Hr), Nobody, NoArrange,
            c => c.Get<ApiKeysService>().RevokeAsync(c.World.ApiKeyId, MatrixWorld.Password),
            (db, c) => db.ApiKeys.AnyAsync(k => k.Id == c.World.ApiKeyId && k.RevokedAt != null)),
        new("WebhooksService.CreateAsync", false, Only(Persona.Admin, Persona.Foreign), Nobody, NoArrange,
            c => c.Get<WebhooksService>().CreateAsync("https://203.0.113.10/matrix", [Domain.Notifications.EventKinds.MemberExited], false),
            (db, c) => db.WebhookEndpoints.AnyAsync(e => e.Url == "https://203.0.113.10/matrix")),
        new("WebhooksService.SetEnabledAsync", false, Only(Persona.Admin), Nobody, WebhookEndpointAsync,
            c => c.Get<WebhooksService>().SetEnabledAsync(c.Arranged["endpoint"], false),
            (db, c) => db.WebhookEndpoints.AnyAsync(e => e.Id == c.Arranged["endpoint"] && !e.Enabled)),
        new("WebhooksService.RotateSecretAsync", false, Only(Persona.Admin), Nobody, WebhookEndpointAsync,
            c => c.Get<WebhooksService>().RotateSecretAsync(c.Arranged["endpoint"]),
            (db, c) => db.WebhookEndpoints.AnyAsync(e => e.Id == c.Arranged["endpoint"] && e.ProtectedSecret != "arranged")),
        new("WebhooksService.DeleteAsync", false, Only(Persona.Admin), Nobody, WebhookEndpointAsync,
            c => c.Get<WebhooksService>().DeleteAsync(c.Arranged["endpoint"]),
            async (db, c) => !await db.WebhookEndpoints.AnyAsync(e => e.Id == c.Arranged["endpoint"])),
        new("WebhooksService.SendTestAsync", false, Only(Persona.Admin), Nobody, WebhookEndpointAsync,
            c => c.Get<WebhooksService>().SendTestAsync(c.Arranged["endpoint"]),
            (db, c) => db.WebhookDeliveries.AnyAsync(d => d.EndpointId == c.Arranged["endpoint"] && d.EventKind == WebhookPayload.TestKind && d.Id != c.Arranged["delivery"])),
        new("WebhooksService.ResendAsync", false, Only(Persona.Admin), Nobody, WebhookEndpointAsync,
            c => c.Get<WebhooksService>().ResendAsync(c.Arranged["delivery"]),
            (db, c) => db.WebhookDeliveries.AnyAsync(d => d.Id == c.Arranged["delivery"] && d.Status == Domain.Webhooks.WebhookDeliveryStatus.Pending)),
        new("UsersService.CreateAsync", false, Only(Persona.Admin), Nobody, NoArrange,
            c => c.Get<UsersService>().CreateAsync(new NewUser(c.World.SpareTeacher(true), "spare-x@matrix.test", "老师 子", ClassExit.Portal.Data.Identity.PortalRoles.SchoolStaff, "Fresh#2026!once"), MatrixWorld.Password),
            (db, c) => db.Users.AnyAsync(u => u.Email == "spare-x@matrix.test" && u.MemberId == c.World.SpareTeacher(true) && u.MustChangePassword)),
        new("UsersService.ChangeRoleAsync", false, Only(Persona.Admin), Nobody, NoArrange,
            c => c.Get<UsersService>().ChangeRoleAsync(c.World.Accounts[Persona.Teacher].UserId, ClassExit.Portal.Data.Identity.PortalRoles.Auditor, MatrixWorld.Password),
            (db, c) => db.UserRoles.AnyAsync(ur => ur.UserId == c.World.Accounts[Persona.Teacher].UserId && db.Roles.Any(r => r.Id == ur.RoleId && r.Name == ClassExit.Portal.Data.Identity.PortalRoles.Auditor))),
        new("UsersService.SetEnabledAsync", false, Only(Persona.Admin), Nobody, NoArrange,
            c => c.Get<UsersService>().SetEnabledAsync(c.World.Accounts[Persona.Teacher].UserId, false, MatrixWorld.Password),
            (db, c) => db.Users.AnyAsync(u => u.Id == c.World.Accounts[Persona.Teacher].UserId && u.IsDisabled)),
        new("UsersService.SignOutEverywhereAsync", false, Only(Persona.Admin), Nobody, NoArrange,
            c => c.Get<UsersService>().SignOutEverywhereAsync(c.World.Accounts[Persona.Teacher].UserId, MatrixWorld.Password), Audited("user.signed_out_everywhere")),
        new("UsersService.ResetPasswordAsync", false, Only(Persona.Admin), Nobody, NoArrange,
            c => c.Get<UsersService>().ResetPasswordAsync(c.World.Accounts[Persona.Teacher].UserId, "Fresh#2026!once", MatrixWorld.Password),
            (db, c) => db.Users.AnyAsync(u => u.Id == c.World.Accounts[Persona.Teacher].UserId && u.MustChangePassword)),
        new("BatchExitService.RunAsync", true, Only(Persona.ApiKey, Persona.Hr), Only(Persona.ApiKey, Persona.Hr), NoArrange,
            c => c.Get<BatchExitService>().RunAsync(new BatchRequest(c.World.Accounts[Persona.Hr].MemberId, [c.ClassId], [c.World.Student(c.Own, 8)], "200002", true, false), null),
            (db, c) => MembershipIs(db, c.ClassId, c.World.Student(c.Own, 8), MembershipState.Removed)),
        // The portal's bulk-exit form: the same service, so the same people (an HR operator's own account, or their key).
        new("BatchFormService.RunAsync", true, Only(Persona.ApiKey, Persona.Hr), Only(Persona.ApiKey, Persona.Hr), NoArrange,
            c => c.Get<BatchFormService>().RunAsync([c.ClassId], [c.World.Student(c.Own, 8)], "200002", true, false, $"form-{c.Own}"),
            (db, c) => MembershipIs(db, c.ClassId, c.World.Student(c.Own, 8), MembershipState.Removed)),
        new("QuotaRequestsService.RequestAsync", false, Only(Persona.Admin, Persona.Hr, Persona.Foreign), Nobody, NoArrange,
            c => c.Get<QuotaRequestsService>().RequestAsync(800, "学期初批量调整"),
            (db, c) => db.QuotaIncreaseRequests.AnyAsync()),
        new("QuotaRequestsService.DecideAsync", false, Only(Persona.Platform), Nobody,
            async (db, w, own) =>
            {
                var request = new Domain.Bulk.QuotaIncreaseRequest(w.OrgA, 500, 800, "学期初", w.Accounts[Persona.Hr].MemberId!.Value, MatrixWorld.Now.AddHours(-3));
                db.QuotaIncreaseRequests.Add(request);
                await db.SaveChangesAsync();
                return new() { ["request"] = request.Id };
            },
            c => c.Get<QuotaRequestsService>().DecideAsync(c.Arranged["request"], true, "同意"),
            (db, c) => db.Organisations.AnyAsync(o => o.Id == c.World.OrgA && o.Policy.DailyBatchQuota == 800)),
        new("AuditSearchService.VerifyNowAsync", false, Only(Persona.Admin, Persona.Auditor, Persona.Foreign), Nobody, NoArrange,
            c => c.Get<AuditSearchService>().VerifyNowAsync(),
            (db, c) => db.AuditEntries.AnyAsync(a => a.Action == "audit.chain_verified" && a.ActorUserId == c.World.Accounts[Enum.Parse<Persona>(c.Arranged.Keys.Single())].UserId)),
        new("AuditSearchService.StartExportAsync", false, Only(Persona.Admin, Persona.Auditor, Persona.Foreign), Nobody, NoArrange,
            c => c.Get<AuditSearchService>().StartExportAsync(new AuditFilter()), Audited("audit.export_started")),
        new("AuditSearchService.DownloadCheckpointAsync", false, Only(Persona.Admin, Persona.Auditor, Persona.Foreign), Nobody, NoArrange,
            c => c.Get<AuditSearchService>().DownloadCheckpointAsync(), Audited("audit.checkpoint_downloaded")),
        new("AuditSearchService.SearchDepartedHistoryAsync", true, Only(Persona.Admin), Only(Persona.Admin), DepartedStudentAsync,
            c => c.Get<AuditSearchService>().SearchDepartedHistoryAsync(c.Arranged["student"], c.ClassId, "家长投诉调查", null),
            (db, c) => db.AuditEntries.AnyAsync(a => a.Outcome == AuditOutcome.Succeeded && a.MemberId == c.Arranged["student"])),
        new("ChatExportService.WriteAsync", true, Only(Persona.Admin), Only(Persona.Admin), NoArrange,
            c => c.Get<ChatExportService>().WriteAsync(c.ClassId, c.World.Student(c.Own, 2), "export-password-123", new MemoryStream()),
            Audited("retention.chat_exported")),
    ];

    /// <summary>
    /// Public methods of feature services that change nothing (reads, previews) or only check before a row above does the change,
    /// with why. Anything else must have a row.
    /// </summary>
    private static readonly Dictionary<string, string> NotStateChanging = new()
    {
        ["ExitService.PreviewAsync"] = "read", ["ExitService.EvaluateAsync"] = "read",
        ["ExitQueries.*"] = "reads", ["ClassesService.*"] = "reads", ["MembersService.*"] = "reads", ["DashboardService.*"] = "reads",
        ["OrganisationService.*"] = "reads", ["JobRunsService.*"] = "reads", ["BatchQueries.*"] = "reads", ["SyncHealthService.*"] = "reads",
        ["OwnershipService.CandidatesAsync"] = "read", ["OwnershipService.OwnerDutiesAsync"] = "read", ["OwnershipService.MyTransfersAsync"] = "read",
        ["OwnershipService.HistoryAsync"] = "read", ["OwnershipService.AtRiskAsync"] = "read", ["DissolutionService.PreviewAsync"] = "read",
        ["RetentionService.RunsAsync"] = "read", ["RetentionService.HoldsAsync"] = "read", ["RetentionService.TimelineAsync"] = "read",
        ["RetentionService.UpcomingAsync"] = "read", ["RetentionService.DueNowAsync"] = "read", ["RetentionService.PrivateReplaysAsync"] = "read",
        ["HandoverChecklistService.ClassesAsync"] = "read", ["HandoverChecklistService.GetAsync"] = "read", ["HandoverChecklistService.MembersAsync"] = "read",
        ["PolicyService.GetAsync"] = "read", ["PolicyService.PreviewAsync"] = "read", ["PolicyService.ClassesAsync"] = "read",
        ["PolicyService.GetTwoFactorRequirementAsync"] = "read",
        ["DeviceBindingService.MembersAsync"] = "read", ["DeviceBindingService.DevicesAsync"] = "read",
        ["DeviceSyncService.DevicesAsync"] = "read", ["DeviceSyncService.StaleAsync"] = "read",
        ["ReasonCodesService.ListAsync"] = "read", ["ReasonCodesService.ActiveAsync"] = "read", ["ApiKeysService.ListAsync"] = "read", ["ApiKeysService.OwnerOptionsAsync"] = "read",
        ["WebhooksService.CanManageAsync"] = "the page's question", ["WebhooksService.ListAsync"] = "read", ["WebhooksService.DeliveriesAsync"] = "read",
        ["UsersService.SearchAsync"] = "read", ["UsersService.MembersWithoutAccountAsync"] = "read",
        ["QuotaService.GetAsync"] = "read", ["QuotaRequestsService.OwnAsync"] = "read", ["QuotaRequestsService.PendingForPlatformAsync"] = "read",
        ["BatchFormService.ReadEmployeeCsvAsync"] = "read (employee numbers to members)",
        ["QuotaService.TryConsumeAsync"] = "called only by BatchExitService.RunAsync after RunBatch was granted",
        ["QuotaService.RefundAsync"] = "called only by BatchExitService.RunAsync when a granted call failed",
        ["AuditSearchService.SearchAsync"] = "read", ["AuditSearchService.ActorsAsync"] = "read", ["AuditSearchService.StreamAsync"] = "read",
        ["ChatExportService.EstimateAsync"] = "read", ["ChatExportService.CheckAsync"] = "the ExportMessages check itself, before WriteAsync",
        ["SignInAuditService.*"] = "the sign-in flow's own record (anonymous by nature)",
        ["AuditChainService.*"] = "system scope: the verification job; Verify now goes through AuditSearchService.VerifyNowAsync",
        ["NotificationsService.*"] = "the caller's own notifications and preferences only (keyed on their user id, in their tenant): nobody else's rows to permit; 50902 refuses admins turning security events off",
    };

    public static TheoryData<string, Persona, bool> Cells()
    {
        var data = new TheoryData<string, Persona, bool>();
        foreach (var row in Rows)
            foreach (var persona in Enum.GetValues<Persona>())
            {
                data.Add(row.Method, persona, true);
                if (row.ClassScoped) data.Add(row.Method, persona, false);
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task Cell_AllowedOrRefused_AsTheTableSays(string method, Persona persona, bool own)
    {
        var world = fixture.World;
        var row = Rows.Single(r => r.Method == method);
        var expectAllowed = (own ? row.OwnClass : row.OtherClass).Contains(persona);
        var path = world.NewCell();
        var clock = new FakeTimeProvider(MatrixWorld.Now);
        Dictionary<string, long> arranged;
        await using (var services = MatrixWorld.Services(path, world.UserOf(Persona.Platform), clock))
        await using (var system = (await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForSystem())
            arranged = await row.Arrange(system, world, own);
        if (row.Method == "AuditSearchService.VerifyNowAsync") arranged = new() { [persona.ToString()] = 0 };

        var before = await MatrixWorld.SnapshotAsync(path);
        long lastAudit;
        await using (var services = MatrixWorld.Services(path, world.UserOf(Persona.Platform), clock))
        await using (var system = (await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForSystem())
            lastAudit = await system.AuditEntries.MaxAsync(a => (long?)a.Id) ?? 0;

        await using (var services = MatrixWorld.Services(path, world.UserOf(persona), clock))
        await using (var scope = services.CreateAsyncScope())
            await row.Act(new Cell(world, own, scope.ServiceProvider, arranged));

        await using var check = MatrixWorld.Services(path, world.UserOf(Persona.Platform), clock);
        await using var db = (await check.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForSystem();
        var written = await db.AuditEntries.Where(a => a.Id > lastAudit).ToListAsync();
        var after = await MatrixWorld.SnapshotAsync(path);
        var cell = $"{method} as {persona} on {(row.ClassScoped ? own ? "own class" : "other class" : "the organisation")}";
        if (expectAllowed)
        {
            Assert.DoesNotContain(written, a => a.Outcome == AuditOutcome.Refused);
            Assert.True(await row.Done(db, new Cell(world, own, check, arranged)), $"{cell}: allowed, but it did not happen");
            // What an allowed call records belongs to the organisation acted on: the actor's own, or for a platform operator the
            // organisation whose request they decided; never another tenant.
            // (A device's acknowledgement writes none: an empty list is an answer here, so no Assert.All over it.)
            var actedOn = persona == Persona.Foreign ? world.OrgB : world.OrgA;
            Assert.DoesNotContain(written, a => a.OrganisationId != actedOn);
        }
        else
        {
            var changed = before.Where(t => after[t.Key] != t.Value).Select(t => t.Key).ToList();
            Assert.True(changed.Count == 0, $"{cell}: refused, but changed {string.Join(", ", changed)}");
            var entry = Assert.Single(written);
            Assert.Equal(AuditOutcome.Refused, entry.Outcome);
            Assert.Contains(entry.Code ?? 0, RefusalCodes);
            Assert.Equal(world.OrganisationOf(persona), entry.OrganisationId);
            Assert.Equal(world.Accounts[persona].UserId, entry.ActorUserId);
        }
    }

    [Fact]
    public void EveryStateChangingMethod_HasARow()
    {
        var services = typeof(ExitService).Assembly.GetTypes()
            .Where(t => t.IsClass && t.IsPublic && t.Namespace?.StartsWith("ClassExit.Portal.Features", StringComparison.Ordinal) == true
                && (t.Name.EndsWith("Service", StringComparison.Ordinal) || t.Name.EndsWith("Queries", StringComparison.Ordinal)))
            .ToList();
        Assert.NotEmpty(services);
        var methods = services.SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .Where(m => typeof(Task).IsAssignableFrom(m.ReturnType) || m.ReturnType.Name.StartsWith("IAsyncEnumerable", StringComparison.Ordinal))
                .Select(m => $"{t.Name}.{m.Name}"))
            .Distinct().ToList();
        Assert.NotEmpty(methods);
        var inTable = Rows.Select(r => r.Method.Split('#')[0]).ToHashSet();
        var missing = methods.Where(m => !inTable.Contains(m) && !NotStateChanging.ContainsKey(m) && !NotStateChanging.ContainsKey(m.Split('.')[0] + ".*")).ToList();
        Assert.True(missing.Count == 0, "No row in the authorization matrix for: " + string.Join(", ", missing));
        var stale = inTable.Where(r => !methods.Contains(r)).ToList();
        Assert.True(stale.Count == 0, "Rows for methods that no longer exist: " + string.Join(", ", stale));
    }

    [Fact]
    public void EveryRow_AllowsSomeoneAndRefusesSomeone()
    {
        // A row that allowed everyone, or nobody at all, would prove nothing about who may do it.
        Assert.NotEmpty(Rows);
        Assert.All(Rows, r =>
        {
            Assert.True(r.OwnClass.Length + r.OtherClass.Length > 0, $"{r.Method} allows nobody");
            Assert.True(r.OwnClass.Length < Enum.GetValues<Persona>().Length, $"{r.Method} allows everybody");
        });
    }
}
