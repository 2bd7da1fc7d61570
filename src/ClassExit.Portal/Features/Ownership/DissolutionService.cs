using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Exits.Policy;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Ownership;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Ownership;

/// <summary>
/// Dissolving a class: every current member leaves with the exit rules' consequences (retention by role, documents read-only,
/// replays private), open exit requests and transfers are cancelled, and the class becomes read-only. One transaction, audited.
/// </summary>
public sealed class DissolutionService(TenantDb tenantDb, TimeProvider clock, PortalAuthorizer authorizer, StepUpVerifier stepUp,
    Notifications.PortalEvents events)
{
    public async Task<DissolvePreview?> PreviewAsync(long classId, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var cls = await db.Classes.AsNoTracking().SingleOrDefaultAsync(c => c.Id == classId, ct);
        if (cls is null) return null;
        var org = await db.Organisations.AsNoTracking().SingleAsync(o => o.Id == cls.OrganisationId, ct);
        var members = await (from ms in db.Memberships.Where(Membership.Current)
                             join m in db.Members on ms.MemberId equals m.Id
                             where ms.ClassId == classId
                             select new { ms.MemberId, ms.Role, Admin = m.OrgRole == Domain.Members.OrgRole.EnterpriseAdmin || m.OrgRole == Domain.Members.OrgRole.SuperAdmin })
            .ToListAsync(ct);
        var counts = await db.ChatMessages.Where(m => m.ClassId == classId).GroupBy(m => m.SenderMemberId)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        int k30 = 0, k90 = 0, longer = 0;
        foreach (var m in members)
        {
            var days = RetentionRules.RetentionDays(m.Role, m.Admin, cls.Classification, org.Policy);
            var n = counts.GetValueOrDefault(m.MemberId);
            if (days == org.Policy.StudentRetentionDays && days < org.Policy.TeacherRetentionDays) k30 += n;
            else if (days == org.Policy.TeacherRetentionDays) k90 += n;
            else longer += n;
        }
        return new DissolvePreview(classId, cls.Name, members.Count, k30, k90, longer,
            await db.ExitRequests.Where(ExitRequest.Open).CountAsync(e => e.ClassId == classId, ct),
            await db.OwnershipTransfers.AnyAsync(t => t.ClassId == classId && t.Status == TransferStatus.Pending, ct));
    }

    /// <param name="password">Step-up: the password, or the authenticator code with two-factor sign-in; may be empty inside the
    /// step-up window. Refused with 50404 otherwise.</param>
    public async Task<OwnershipResult> DissolveAsync(long classId, string reason, string password, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        var now = clock.GetUtcNow();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandClassAsync(db, user, PortalAction.Dissolve, classId, null, ct) is { } refused) return OwnershipResult.Fail(refused);
        if (string.IsNullOrWhiteSpace(reason)) return OwnershipResult.Fail(ErrorCatalogue.RejectReasonRequired);
        if (await InputLimits.CheckAsync(db, user, clock, "class.dissolved", ct, new TextInput("dissolve_reason", reason, TextLimits.Reason)) is { } tooLong)
            return OwnershipResult.Fail(tooLong);
        if (!await stepUp.VerifyAsync(user, password, "class.dissolved", db, ct)) return OwnershipResult.Fail(ErrorCatalogue.StepUpFailed);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var cls = await db.Classes.SingleAsync(c => c.Id == classId, ct);
        if (cls.Status == ClassStatus.Dissolved) return OwnershipResult.Fail(ErrorCatalogue.ClassDissolved);

        foreach (var open in await db.ExitRequests.Where(ExitRequest.Open).Where(e => e.ClassId == classId).ToListAsync(ct))
            open.Cancel(now, "class dissolved");
        foreach (var pending in await db.OwnershipTransfers.Where(t => t.ClassId == classId && t.Status == TransferStatus.Pending).ToListAsync(ct))
            pending.Cancel(now);
        await db.SaveChangesAsync(ct);

        var leaving = await db.Memberships.Where(Membership.Current).Where(m => m.ClassId == classId)
            .OrderBy(m => m.Role).Select(m => m.MemberId).ToListAsync(ct);
        foreach (var memberId in leaving)
        {
            var s = await ExitSnapshot.LoadAsync(db, classId, memberId, ExitKind.Dissolution, now, null, null, null, ct);
            var request = new ExitRequest(cls.OrganisationId, classId, memberId, s!.Membership.Role, ExitKind.Dissolution, ExitChannel.Portal,
                VerificationMethod.None, user.MemberId, now, reason.Trim(), silent: true);
            db.ExitRequests.Add(request);
            await db.SaveChangesAsync(ct);
            await ExitExecutor.CompleteAsync(db, events, s, request, now, ct);
        }
        cls.Dissolve(now);
        AuditLog.Add(db, cls.OrganisationId, AuditActor.From(user), now, "class.dissolved", AuditOutcome.Succeeded, "Class", classId.ToString(), classId,
            details: new { reason, members_left = leaving.Count });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return OwnershipResult.Ok();
    }
}
