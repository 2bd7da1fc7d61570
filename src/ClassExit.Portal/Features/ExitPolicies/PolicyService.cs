using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.Retention;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.ExitPolicies;

/// <summary>One field of the policy that changes: its property name and the values before and after.</summary>
public sealed record PolicyChange(string Field, object? Before, object? After);

/// <summary>What a policy change touches, shown before saving.</summary>
public sealed record PolicyImpact(IReadOnlyList<string> ClassesEnteringFreeze, IReadOnlyList<string> ClassesLeavingFreeze,
    IReadOnlyList<PolicyChange> Changes, RetentionShift Retention);

public sealed record ClassPolicyRow(long ClassId, string Name, bool ExitLocked, Classification Classification, DateOnly TermEndsOn, int Version);

public sealed record PolicySaveResult(int? Code, IReadOnlyList<PolicyViolation> Errors, RetentionShift? Retention = null)
{
    public bool Succeeded => Code is null && Errors.Count == 0;
}

/// <summary>
/// The organisation's exit policies, edited by enterprise admins: validated, previewed, saved after step-up with an audit entry
/// holding before and after. The engine reads the policy at every evaluation, so a change applies at once.
/// </summary>
public sealed class PolicyService(TenantDb tenantDb, TimeProvider clock, StepUpVerifier stepUp, PortalAuthorizer authorizer)
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
        var retention = RetentionChanged(org.Policy, proposed)
            ? await RetentionReschedule.PreviewAsync(db, proposed, clock.GetUtcNow(), null, null, ct)
            : RetentionShift.None;
        return new PolicyImpact(entering, leaving, Diff(org.Policy, proposed), retention);
    }

    public async Task<PolicySaveResult> SaveAsync(ExitPolicy proposed, string password, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandOrganisationAsync(db, user, PortalAction.EditPolicy, "Organisation", user.OrganisationId.ToString(), ct) is { } refused)
            return new PolicySaveResult(refused, []);
        if (await InputLimits.CheckAsync(db, user, clock, "policy.changed", ct,
                new TextInput("minimum_client_version", proposed.MinimumClientVersion, TextLimits.ClientVersion)) is { } tooLong)
            return new PolicySaveResult(tooLong, []);
        var errors = ExitPolicyValidator.Validate(proposed);
        // Out-of-range values are refused, never clamped: what is saved is what the admin typed.
        if (errors.Count > 0) return new PolicySaveResult(ErrorCatalogue.PolicyValueOutOfRange, errors);
        if (!await stepUp.VerifyAsync(user, password, "policy.changed", db, ct)) return new PolicySaveResult(ErrorCatalogue.StepUpFailed, []);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var org = await db.Organisations.FirstAsync(ct);
        var before = org.Policy;
        var now = clock.GetUtcNow();
        // The daily quota is raised by platform operators only.
        proposed = proposed with { DailyBatchQuota = before.DailyBatchQuota };
        org.ReplacePolicy(proposed);
        var retention = RetentionChanged(before, proposed)
            ? await RetentionReschedule.ApplyAsync(db, proposed, now, null, null, ct)
            : RetentionShift.None;
        AuditLog.Add(db, org.Id, AuditActor.From(user), now, "policy.changed", AuditOutcome.Succeeded, "Organisation", org.Id.ToString(),
            securityEvent: true, details: new
            {
                before, after = proposed, changes = Diff(before, proposed).Select(c => $"{c.Field}: {c.Before ?? "never"} → {c.After ?? "never"}"),
                retention_rescheduled = retention,
            });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new PolicySaveResult(null, [], retention);
    }

    /// <summary>Who in the organisation must sign in with an authenticator code.</summary>
    public async Task<TwoFactorRequirement> GetTwoFactorRequirementAsync(CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        return await db.Organisations.AsNoTracking().Select(o => o.TwoFactorRequiredFor).FirstAsync(ct);
    }

    /// <summary>
    /// Sets who must sign in with an authenticator code: step-up, audited with before and after. It applies at each user's next
    /// sign-in (a user it names who has not enrolled is then taken to enrolment before anything else).
    /// </summary>
    public async Task<int?> SaveTwoFactorRequirementAsync(TwoFactorRequirement requirement, string password, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandOrganisationAsync(db, user, PortalAction.EditPolicy, "Organisation", user.OrganisationId.ToString(), ct) is { } refused)
            return refused;
        if (!Enum.IsDefined(requirement)) return ErrorCatalogue.MalformedRequest;
        if (!await stepUp.VerifyAsync(user, password, "policy.two_factor_changed", db, ct)) return ErrorCatalogue.StepUpFailed;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var org = await db.Organisations.FirstAsync(ct);
        var before = org.TwoFactorRequiredFor;
        org.RequireTwoFactorFor(requirement);
        AuditLog.Add(db, org.Id, AuditActor.From(user), clock.GetUtcNow(), "policy.two_factor_changed", AuditOutcome.Succeeded, "Organisation",
            org.Id.ToString(), securityEvent: true,
            details: new { before = new { TwoFactorRequiredFor = before.ToString() }, after = new { TwoFactorRequiredFor = requirement.ToString() } });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return null;
    }

    public async Task<PagedResult<ClassPolicyRow>> ClassesAsync(string? search, PageRequest page, CancellationToken ct = default)
    {
        search = TextLimits.Cut(search, TextLimits.Search);
        await using var db = await tenantDb.CreateAsync(ct);
        var q = db.Classes.AsNoTracking().Where(c => c.Status == ClassStatus.Active);
        if (!string.IsNullOrWhiteSpace(search)) q = q.Where(c => c.Name.Contains(search.Trim()));
        var total = await q.CountAsync(ct);
        q = (page.SortBy, page.Descending) switch
        {
            (nameof(ClassPolicyRow.TermEndsOn), false) => q.OrderBy(c => c.TermEndsOn).ThenBy(c => c.Name),
            (nameof(ClassPolicyRow.TermEndsOn), true) => q.OrderByDescending(c => c.TermEndsOn).ThenBy(c => c.Name),
            (nameof(ClassPolicyRow.Name), true) => q.OrderByDescending(c => c.Name),
            _ => q.OrderBy(c => c.Name),
        };
        var rows = await q.Skip(page.Skip).Take(page.PageSize)
            .Select(c => new ClassPolicyRow(c.Id, c.Name, c.ExitLocked, c.Classification, c.TermEndsOn, c.Version)).ToListAsync(ct);
        return new PagedResult<ClassPolicyRow>(rows, total);
    }

    /// <summary>
    /// Blacklist, classification and term end of one class: step-up, audited with before and after. A classification change
    /// reschedules the purge of earlier leavers' messages in that class.
    /// </summary>
    public async Task<int?> SaveClassAsync(long classId, bool exitLocked, Classification classification, DateOnly termEndsOn, string password, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandClassAsync(db, user, PortalAction.EditClassPolicy, classId, null, ct) is { } refused) return refused;
        if (!await stepUp.VerifyAsync(user, password, "class_policy.changed", db, ct)) return ErrorCatalogue.StepUpFailed;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var cls = await db.Classes.SingleOrDefaultAsync(c => c.Id == classId, ct);
        if (cls is null) return ErrorCatalogue.NotFound;
        var now = clock.GetUtcNow();
        var before = new { cls.ExitLocked, Classification = cls.Classification.ToString(), cls.TermEndsOn };
        var retention = RetentionShift.None;
        if (cls.ExitLocked != exitLocked) cls.SetExitLocked(exitLocked);
        if (cls.Classification != classification)
        {
            cls.SetClassification(classification);
            var policy = await db.Organisations.Select(o => o.Policy).FirstAsync(ct);
            retention = await RetentionReschedule.ApplyAsync(db, policy, now, _ => classification, classId, ct);
        }
        if (cls.TermEndsOn != termEndsOn) cls.SetTermEnd(termEndsOn);
        AuditLog.Add(db, cls.OrganisationId, AuditActor.From(user), now, "class_policy.changed", AuditOutcome.Succeeded, "Class", classId.ToString(),
            classId, securityEvent: true, details: new
            {
                before, after = new { ExitLocked = exitLocked, Classification = classification.ToString(), TermEndsOn = termEndsOn },
                retention_rescheduled = retention,
            });
        try
        {
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return ErrorCatalogue.RequestAlreadyDecided;
        }
        return null;
    }

    /// <summary>The same term end for many classes at once (a school sets the term for a whole grade): one audit entry per class.</summary>
    public async Task<(int? Code, int Changed)> SetTermEndAsync(IReadOnlyCollection<long> classIds, DateOnly termEndsOn, string password, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using (var authDb = await tenantDb.CreateAsync(ct))
            if (await authorizer.DemandOrganisationAsync(authDb, user, PortalAction.EditClassPolicy, "Class", null, ct) is { } refused) return (refused, 0);
        if (classIds.Count == 0 || classIds.Count > 1000) return (ErrorCatalogue.MalformedRequest, 0);
        await using var db = await tenantDb.CreateAsync(ct);
        if (!await stepUp.VerifyAsync(user, password, "class_policy.changed", db, ct)) return (ErrorCatalogue.StepUpFailed, 0);
        var ids = classIds.Distinct().ToList();
        var classes = await db.Classes.Where(c => ids.Contains(c.Id) && c.Status == ClassStatus.Active).ToListAsync(ct);
        if (classes.Count != ids.Count) return (await authorizer.NotFoundAsync(db, user, PortalAction.EditClassPolicy, "Class", string.Join(',', ids), ct), 0);
        var now = clock.GetUtcNow();
        var changed = 0;
        foreach (var cls in classes.Where(c => c.TermEndsOn != termEndsOn))
        {
            AuditLog.Add(db, cls.OrganisationId, AuditActor.From(user), now, "class_policy.changed", AuditOutcome.Succeeded, "Class", cls.Id.ToString(),
                cls.Id, securityEvent: true, details: new { before = new { cls.TermEndsOn }, after = new { TermEndsOn = termEndsOn }, bulk = ids.Count });
            cls.SetTermEnd(termEndsOn);
            changed++;
        }
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return (ErrorCatalogue.RequestAlreadyDecided, 0);
        }
        return (null, changed);
    }

    private static bool RetentionChanged(ExitPolicy a, ExitPolicy b) =>
        a.StudentRetentionDays != b.StudentRetentionDays || a.TeacherRetentionDays != b.TeacherRetentionDays
        || a.AdminRetentionDays != b.AdminRetentionDays || a.ClassifiedRetentionDays != b.ClassifiedRetentionDays;

    private static List<PolicyChange> Diff(ExitPolicy a, ExitPolicy b) =>
        typeof(ExitPolicy).GetProperties()
            .Select(p => new PolicyChange(p.Name, p.GetValue(a), p.GetValue(b)))
            .Where(c => !Equals(c.Before, c.After))
            .ToList();
}
