using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.ExitPolicies;

/// <summary>What a policy change touches, shown before saving.</summary>
public sealed record PolicyImpact(IReadOnlyList<string> ClassesEnteringFreeze, IReadOnlyList<string> ClassesLeavingFreeze,
    IReadOnlyList<string> Changes);

public sealed record ClassPolicyRow(long ClassId, string Name, bool ExitLocked, Classification Classification, DateOnly TermEndsOn, int Version);

public sealed record PolicySaveResult(int? Code, IReadOnlyList<string> Errors)
{
    public bool Succeeded => Code is null && Errors.Count == 0;
}

/// <summary>
/// The organisation's exit policies, edited by enterprise admins: validated, previewed, saved after step-up with an audit entry
/// holding before and after. The engine reads the policy at every evaluation, so a change applies at once.
/// </summary>
public sealed class PolicyService(TenantDb tenantDb, TimeProvider clock, StepUpVerifier stepUp)
{
    public async Task<ExitPolicy> GetAsync(CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        return await db.Organisations.AsNoTracking().Select(o => o.Policy).FirstAsync(ct);
    }

    public async Task<PolicyImpact> PreviewAsync(ExitPolicy proposed, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var org = await db.Organisations.AsNoTracking().FirstAsync(ct);
        var today = org.LocalDate(clock.GetUtcNow());
        var classes = await db.Classes.AsNoTracking().Where(c => c.Status == ClassStatus.Active).Select(c => new { c.Name, c.TermEndsOn }).ToListAsync(ct);
        var entering = classes.Where(c => FreezeWindow.IsFrozen(today, c.TermEndsOn, proposed.FreezeWindowDays) && !FreezeWindow.IsFrozen(today, c.TermEndsOn, org.Policy.FreezeWindowDays))
            .Select(c => c.Name).ToList();
        var leaving = classes.Where(c => !FreezeWindow.IsFrozen(today, c.TermEndsOn, proposed.FreezeWindowDays) && FreezeWindow.IsFrozen(today, c.TermEndsOn, org.Policy.FreezeWindowDays))
            .Select(c => c.Name).ToList();
        return new PolicyImpact(entering, leaving, Diff(org.Policy, proposed));
    }

    public async Task<PolicySaveResult> SaveAsync(ExitPolicy proposed, string password, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        if (!user.IsInRole(PortalRoles.EnterpriseAdmin)) return new PolicySaveResult(ErrorCatalogue.Forbidden, []);
        var errors = ExitPolicyValidator.Validate(proposed);
        if (errors.Count > 0) return new PolicySaveResult(ErrorCatalogue.MalformedRequest, errors);
        await using var db = await tenantDb.CreateAsync(ct);
        if (!await stepUp.VerifyAsync(user, password, "policy.changed", db, ct)) return new PolicySaveResult(ErrorCatalogue.StepUpFailed, []);
        var org = await db.Organisations.FirstAsync(ct);
        var before = org.Policy;
        // The daily quota is raised by platform operators only.
        proposed = proposed with { DailyBatchQuota = before.DailyBatchQuota };
        org.ReplacePolicy(proposed);
        AuditLog.Add(db, org.Id, AuditActor.From(user), clock.GetUtcNow(), "policy.changed", AuditOutcome.Succeeded, "Organisation", org.Id.ToString(),
            securityEvent: true, details: new { before, after = proposed, changes = Diff(before, proposed) });
        await db.SaveChangesAsync(ct);
        return new PolicySaveResult(null, []);
    }

    public async Task<PagedResult<ClassPolicyRow>> ClassesAsync(string? search, PageRequest page, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var q = db.Classes.AsNoTracking().Where(c => c.Status == ClassStatus.Active);
        if (!string.IsNullOrWhiteSpace(search)) q = q.Where(c => c.Name.Contains(search.Trim()));
        var total = await q.CountAsync(ct);
        var rows = await q.OrderBy(c => c.Name).Skip(page.Skip).Take(page.PageSize)
            .Select(c => new ClassPolicyRow(c.Id, c.Name, c.ExitLocked, c.Classification, c.TermEndsOn, c.Version)).ToListAsync(ct);
        return new PagedResult<ClassPolicyRow>(rows, total);
    }

    /// <summary>Blacklist, classification and term end of one class: step-up, audited with before and after.</summary>
    public async Task<int?> SaveClassAsync(long classId, bool exitLocked, Classification classification, DateOnly termEndsOn, string password, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        if (!user.IsInRole(PortalRoles.EnterpriseAdmin)) return ErrorCatalogue.Forbidden;
        await using var db = await tenantDb.CreateAsync(ct);
        if (!await stepUp.VerifyAsync(user, password, "class_policy.changed", db, ct)) return ErrorCatalogue.StepUpFailed;
        var cls = await db.Classes.SingleOrDefaultAsync(c => c.Id == classId, ct);
        if (cls is null) return ErrorCatalogue.NotFound;
        var before = new { cls.ExitLocked, Classification = cls.Classification.ToString(), cls.TermEndsOn };
        if (cls.ExitLocked != exitLocked) cls.SetExitLocked(exitLocked);
        if (cls.Classification != classification) cls.SetClassification(classification);
        if (cls.TermEndsOn != termEndsOn) cls.SetTermEnd(termEndsOn);
        AuditLog.Add(db, cls.OrganisationId, AuditActor.From(user), clock.GetUtcNow(), "class_policy.changed", AuditOutcome.Succeeded, "Class", classId.ToString(),
            classId, securityEvent: true, details: new { before, after = new { ExitLocked = exitLocked, Classification = classification.ToString(), TermEndsOn = termEndsOn } });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return ErrorCatalogue.RequestAlreadyDecided;
        }
        return null;
    }

    private static List<string> Diff(ExitPolicy a, ExitPolicy b)
    {
        var changes = new List<string>();
        foreach (var p in typeof(ExitPolicy).GetProperties())
        {
            var (x, y) = (p.GetValue(a), p.GetValue(b));
            if (!Equals(x, y)) changes.Add($"{p.Name}: {x ?? "never"} → {y ?? "never"}");
        }
        return changes;
    }
}
