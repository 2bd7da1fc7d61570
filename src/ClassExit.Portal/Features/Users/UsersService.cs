using ClassExit.Portal.Domain.Limits;
using System.Data;
using System.Security.Cryptography;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Users;

/// <summary>One portal account of the organisation, as the users page lists it.</summary>
public sealed record UserRow(string UserId, string Email, string DisplayName, IReadOnlyList<string> Roles, long? MemberId, string? MemberName,
    string? EmployeeNo, bool Enabled, bool TwoFactorEnabled, bool MustChangePassword, DateTimeOffset? LastSignInAt);

/// <summary>A member of the organisation who has no portal account yet.</summary>
public sealed record AccountlessMember(long MemberId, string DisplayName, string EmployeeNo, string? Email);

/// <summary>A new account for an existing member, with the one-time password the admin gives them.</summary>
public sealed record NewUser(long MemberId, string Email, string DisplayName, string Role, string OneTimePassword);

/// <summary>Done (with the account's id when one was created), or refused with a catalogue code and, for a password, Identity's reasons.</summary>
public sealed record UserResult(int? Code, string? UserId = null, IReadOnlyList<string>? Errors = null)
{
    public bool Succeeded => Code is null;

    public static UserResult Refused(int code, IReadOnlyList<string>? errors = null) => new(code, null, errors);
}

/// <summary>
/// The organisation's portal accounts, run by its enterprise admins: create one for an existing member, change its role, disable and
/// enable it, sign it out everywhere, give it a one-time password. Every change asks for <see cref="PortalAction.ManageUsers"/>, then
/// step-up, and writes its audit entry (before and after) in the same transaction. Every change also takes effect at once: the
/// account's security stamp rotates (the cookie's validation and the open circuit's revalidation refuse it within a minute) and its
/// server-side sessions end (<c>account_changed</c>). Nobody changes their own account here, and the organisation always keeps one
/// enabled enterprise admin.
/// </summary>
/// <remarks>
/// ASP.NET Core Identity's tables (<c>Users</c>, <c>UserRoles</c>) carry no tenant filter: every query here names the organisation
/// explicitly (<c>u.OrganisationId == user.OrganisationId</c>), so another organisation's accounts are neither listed nor found.
/// Changes go through the tenant context rather than <see cref="UserManager{TUser}"/> (which saves on its own context) so that the
/// change and its audit entry commit together; the user manager lends its password validators and hasher.
/// </remarks>
public sealed class UsersService(TenantDb tenantDb, PortalAuthorizer authorizer, StepUpVerifier stepUp, UserManager<PortalUser> userManager,
    ILookupNormalizer normalizer, TimeProvider clock)
{
    public const int MaxNameLength = TextLimits.DisplayName;
    public const int MaxEmailLength = TextLimits.Email;
    public const string SessionEndReason = "account_changed";

    /// <summary>The portal roles an enterprise admin may give; a platform operator's role is never an organisation's to give.</summary>
    public static readonly IReadOnlyList<string> AssignableRoles = [PortalRoles.EnterpriseAdmin, PortalRoles.HrOperator, PortalRoles.SchoolStaff, PortalRoles.Auditor];

    /// <summary>The organisation's accounts, searched (e-mail, name) and paged in SQL; empty for anyone but an enterprise admin.</summary>
    public async Task<PagedResult<UserRow>> SearchAsync(string? search, PageRequest page, CancellationToken ct = default)
    {
        search = TextLimits.Cut(search, TextLimits.Search);
        var user = await tenantDb.UserAsync();
        if (!PortalAuthorizer.ActorOf(user).Has(PortalRole.EnterpriseAdmin)) return new PagedResult<UserRow>([], 0);
        await using var db = await tenantDb.CreateAsync(ct);
        // No tenant filter on Identity's table: the organisation is named here.
        var query = db.Users.AsNoTracking().Where(u => u.OrganisationId == user.OrganisationId);
        if (!string.IsNullOrWhiteSpace(search))
        {
            var term = search.Trim();
            var normalized = normalizer.NormalizeEmail(term);
            query = query.Where(u => u.DisplayName.Contains(term) || (u.NormalizedEmail != null && u.NormalizedEmail.Contains(normalized)));
        }
        var total = await query.CountAsync(ct);
        query = (page.SortBy, page.Descending) switch
        {
            ("DisplayName", false) => query.OrderBy(u => u.DisplayName).ThenBy(u => u.Id),
            ("DisplayName", true) => query.OrderByDescending(u => u.DisplayName).ThenBy(u => u.Id),
            ("Email", true) => query.OrderByDescending(u => u.NormalizedEmail).ThenBy(u => u.Id),
            _ => query.OrderBy(u => u.NormalizedEmail).ThenBy(u => u.Id),
        };
        var rows = await query.Skip(page.Skip).Take(page.PageSize)
            .Select(u => new
            {
                u.Id, u.Email, u.DisplayName, u.MemberId, u.IsDisabled, u.TwoFactorEnabled, u.MustChangePassword,
                Member = db.Members.Where(m => m.Id == u.MemberId).Select(m => new { m.DisplayName, m.EmployeeNo }).FirstOrDefault(),
            })
            .ToListAsync(ct);
        var ids = rows.Select(r => r.Id).ToList();
        var roles = (await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id where ids.Contains(ur.UserId) select new { ur.UserId, r.Name })
                .ToListAsync(ct))
            .ToLookup(r => r.UserId, r => r.Name!);
        // The last sign-in is the newest server-side session (one per sign-in), a page's worth of rows at most.
        var lastSignIn = (await db.PortalSessions.AsNoTracking().Where(s => ids.Contains(s.UserId)).Select(s => new { s.UserId, s.CreatedAt }).ToListAsync(ct))
            .GroupBy(s => s.UserId).ToDictionary(g => g.Key, g => g.Max(s => s.CreatedAt));
        return new PagedResult<UserRow>(rows.Select(r => new UserRow(r.Id, r.Email ?? "", r.DisplayName, roles[r.Id].OrderBy(RoleOrder).ToList(),
            r.MemberId, r.Member?.DisplayName, r.Member?.EmployeeNo, !r.IsDisabled, r.TwoFactorEnabled, r.MustChangePassword,
            lastSignIn.TryGetValue(r.Id, out var at) ? at : null)).ToList(), total);
    }

    /// <summary>Members of the organisation without a portal account, for the create dialog (at most 20, searched by name or number).</summary>
    public async Task<IReadOnlyList<AccountlessMember>> MembersWithoutAccountAsync(string? search, CancellationToken ct = default)
    {
        search = TextLimits.Cut(search, TextLimits.Search);
        var user = await tenantDb.UserAsync();
        if (!PortalAuthorizer.ActorOf(user).Has(PortalRole.EnterpriseAdmin)) return [];
        await using var db = await tenantDb.CreateAsync(ct);
        // Members are tenant-filtered; the accounts are not, so the organisation is named for them.
        var withAccount = db.Users.Where(u => u.OrganisationId == user.OrganisationId && u.MemberId != null).Select(u => u.MemberId!.Value);
        var query = db.Members.AsNoTracking().Where(m => !withAccount.Contains(m.Id));
        if (!string.IsNullOrWhiteSpace(search))
        {
            var term = search.Trim();
            query = query.Where(m => m.DisplayName.Contains(term) || m.EmployeeNo.Contains(term) || (m.Email != null && m.Email.Contains(term)));
        }
        return await query.OrderBy(m => m.EmployeeNo).Take(20).Select(m => new AccountlessMember(m.Id, m.DisplayName, m.EmployeeNo, m.Email)).ToListAsync(ct);
    }

    /// <summary>
    /// A new account for a member of the organisation, with one portal role and a one-time password that must be changed at the first
    /// sign-in. Refused: 40302, 40002 (e-mail, name or role malformed; the password breaks the policy, with Identity's reasons),
    /// 40401 (no such member in the organisation), 50804 (the member has an account already), 50803 (e-mail used by any account), 50404 (step-up).
    /// </summary>
    public async Task<UserResult> CreateAsync(NewUser command, string? stepUpPassword, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandOrganisationAsync(db, user, PortalAction.ManageUsers, "User", null, ct) is { } refused) return UserResult.Refused(refused);
        var email = command.Email?.Trim() ?? "";
        var name = command.DisplayName?.Trim() ?? "";
        if (await InputLimits.CheckAsync(db, user, clock, "user.created", ct, new TextInput("email", email, TextLimits.Email),
                new TextInput("display_name", name, TextLimits.DisplayName)) is { } tooLong)
            return UserResult.Refused(tooLong);
        if (!LooksLikeEmail(email) || name.Length is 0 || !AssignableRoles.Contains(command.Role))
            return UserResult.Refused(ErrorCatalogue.MalformedRequest);
        // Members are tenant-filtered: another organisation's member is "not found" (audited), like any other tenant's id.
        var member = await db.Members.SingleOrDefaultAsync(m => m.Id == command.MemberId, ct);
        if (member is null)
            return UserResult.Refused(await authorizer.NotFoundAsync(db, user, PortalAction.ManageUsers, "Member", command.MemberId.ToString(), ct));
        if (await db.Users.AnyAsync(u => u.MemberId == command.MemberId, ct)) return UserResult.Refused(ErrorCatalogue.MemberHasAccount);
        var normalizedEmail = normalizer.NormalizeEmail(email);
        var normalizedName = normalizer.NormalizeName(email);
        // E-mail addresses are unique across the whole portal (they are the sign-in name), not only within the organisation.
        if (await db.Users.AnyAsync(u => u.NormalizedEmail == normalizedEmail || u.NormalizedUserName == normalizedName, ct))
            return UserResult.Refused(ErrorCatalogue.EmailAlreadyUsed);

        var account = new PortalUser
        {
            UserName = email, NormalizedUserName = normalizedName, Email = email, NormalizedEmail = normalizedEmail, EmailConfirmed = true,
            LockoutEnabled = true, SecurityStamp = NewStamp(), OrganisationId = user.OrganisationId, MemberId = member.Id, DisplayName = name,
            MustChangePassword = true,
        };
        if (await PasswordErrorsAsync(account, command.OneTimePassword) is { Count: > 0 } errors) return UserResult.Refused(ErrorCatalogue.MalformedRequest, errors);
        if (!await stepUp.VerifyAsync(user, stepUpPassword, "user.created", db, ct)) return UserResult.Refused(ErrorCatalogue.StepUpFailed);

        account.PasswordHash = userManager.PasswordHasher.HashPassword(account, command.OneTimePassword);
        var roleId = await RoleIdAsync(db, command.Role, ct);
        var now = clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.Users.Add(account);
        db.UserRoles.Add(new IdentityUserRole<string> { UserId = account.Id, RoleId = roleId });
        var orgRoleBefore = member.OrgRole;
        member.SetEnterpriseAdmin(command.Role == PortalRoles.EnterpriseAdmin);
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), now, "user.created", AuditOutcome.Succeeded, "User", account.Id, memberId: member.Id,
            securityEvent: true, details: new
            {
                before = (object?)null,
                after = new AccountState(email, name, [command.Role], true, false, true),
                member_org_role = Changed(orgRoleBefore, member.OrgRole),
            });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new UserResult(null, account.Id);
    }

    /// <summary>
    /// Gives the account exactly one portal role. Refused: 40302, 40401 (no such account in the organisation), 40002 (not an assignable
    /// role), 50801 (one's own account), 50802 (it is the last enabled enterprise admin), 50404 (step-up).
    /// </summary>
    public Task<UserResult> ChangeRoleAsync(string userId, string role, string? stepUpPassword, CancellationToken ct = default) =>
        ChangeAsync(userId, "user.role_changed", stepUpPassword, validate: () => AssignableRoles.Contains(role) ? null : ErrorCatalogue.MalformedRequest,
            change: async (db, account, before) =>
            {
                if (before.Roles.SequenceEqual([role])) return (null, null);
                if (before.Roles.Contains(PortalRoles.EnterpriseAdmin) && role != PortalRoles.EnterpriseAdmin && before.Enabled
                    && !await OtherEnabledAdminExistsAsync(db, account, ct))
                    return (ErrorCatalogue.LastEnterpriseAdmin, null);
                await db.UserRoles.Where(ur => ur.UserId == account.Id).ExecuteDeleteAsync(ct);
                db.UserRoles.Add(new IdentityUserRole<string> { UserId = account.Id, RoleId = await RoleIdAsync(db, role, ct) });
                object? orgRole = null;
                if (account.MemberId is { } memberId && await db.Members.SingleOrDefaultAsync(m => m.Id == memberId, ct) is { } member)
                {
                    var was = member.OrgRole;
                    member.SetEnterpriseAdmin(role == PortalRoles.EnterpriseAdmin);
                    orgRole = Changed(was, member.OrgRole);
                }
                return (null, new { member_org_role = orgRole, roles = new[] { role } });
            }, ct);

    /// <summary>
    /// Disables (the account can no longer sign in, and its sessions end) or enables it again. Refused: 40302, 40401, 50801 (one's
    /// own account), 50802 (disabling the last enabled enterprise admin), 50404 (step-up).
    /// </summary>
    public Task<UserResult> SetEnabledAsync(string userId, bool enabled, string? stepUpPassword, CancellationToken ct = default) =>
        ChangeAsync(userId, enabled ? "user.enabled" : "user.disabled", stepUpPassword, validate: () => null,
            change: async (db, account, before) =>
            {
                if (before.Enabled == enabled) return (null, null);
                if (!enabled && before.Roles.Contains(PortalRoles.EnterpriseAdmin) && !await OtherEnabledAdminExistsAsync(db, account, ct))
                    return (ErrorCatalogue.LastEnterpriseAdmin, null);
                account.IsDisabled = !enabled;
                return (null, new { });
            }, ct);

    /// <summary>Ends every session of the account at once (the security stamp rotates). Refused: 40302, 40401, 50801, 50404.</summary>
    public Task<UserResult> SignOutEverywhereAsync(string userId, string? stepUpPassword, CancellationToken ct = default) =>
        ChangeAsync(userId, "user.signed_out_everywhere", stepUpPassword, validate: () => null,
            change: (db, account, before) => Task.FromResult<(int?, object?)>((null, new { })), ct);

    /// <summary>
    /// Gives the account a one-time password that must be changed at the next sign-in, and clears a lockout (the usual reason for a
    /// reset); the password is never logged or audited. Refused: 40302, 40401, 40002 (the password breaks the policy, with Identity's
    /// reasons), 50801 (one's own account: use the Account page), 50404 (step-up).
    /// </summary>
    public async Task<UserResult> ResetPasswordAsync(string userId, string oneTimePassword, string? stepUpPassword, CancellationToken ct = default)
    {
        IReadOnlyList<string>? errors = null;
        var result = await ChangeAsync(userId, "user.password_reset", stepUpPassword, validate: () => null,
            prepare: async account =>
            {
                errors = await PasswordErrorsAsync(account, oneTimePassword);
                return errors.Count > 0 ? ErrorCatalogue.MalformedRequest : null;
            },
            change: (db, account, before) =>
            {
                account.PasswordHash = userManager.PasswordHasher.HashPassword(account, oneTimePassword);
                account.MustChangePassword = true;
                account.AccessFailedCount = 0;
                account.LockoutEnd = null;
                return Task.FromResult<(int?, object?)>((null, new { }));
            }, ct: ct);
        return result.Succeeded || errors is not { Count: > 0 } ? result : UserResult.Refused(result.Code!.Value, errors);
    }

    /// <summary>A password that meets the policy, for the admin to hand over (they may type their own instead).</summary>
    public static string GenerateOneTimePassword()
    {
        const string upper = "ABCDEFGHJKLMNPQRSTUVWXYZ", lower = "abcdefghijkmnopqrstuvwxyz", digits = "23456789", symbols = "#%+=!?";
        const string all = upper + lower + digits + symbols;
        var chars = new List<char> { Pick(upper), Pick(lower), Pick(digits), Pick(symbols) };
        while (chars.Count < 16) chars.Add(Pick(all));
        return new string(chars.OrderBy(_ => RandomNumberGenerator.GetInt32(int.MaxValue)).ToArray());

        static char Pick(string from) => from[RandomNumberGenerator.GetInt32(from.Length)];
    }

    /// <summary>What an audit entry records of an account: never a password or a hash.</summary>
    private sealed record AccountState(string Email, string DisplayName, IReadOnlyList<string> Roles, bool Enabled, bool TwoFactorEnabled, bool MustChangePassword);

    /// <summary>
    /// The shape of every change to an existing account: permission, the account (in this organisation), not oneself, the change's own
    /// checks, step-up, then in one transaction the change, a new security stamp, the end of its sessions and the audit entry.
    /// <paramref name="change"/> returns a refusal code, or extra audit details (null: nothing to change, nothing is written).
    /// </summary>
    private async Task<UserResult> ChangeAsync(string userId, string action, string? stepUpPassword, Func<int?> validate,
        Func<PortalDbContext, PortalUser, AccountState, Task<(int? Code, object? Details)>> change, CancellationToken ct,
        Func<PortalUser, Task<int?>>? prepare = null)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        if (await authorizer.DemandOrganisationAsync(db, user, PortalAction.ManageUsers, "User", userId, ct) is { } refused) return UserResult.Refused(refused);
        // Identity's table has no tenant filter: an account of another organisation is "not found", like any other tenant's id.
        var account = await db.Users.SingleOrDefaultAsync(u => u.Id == userId && u.OrganisationId == user.OrganisationId, ct);
        if (account is null) return UserResult.Refused(await authorizer.NotFoundAsync(db, user, PortalAction.ManageUsers, "User", userId, ct));
        if (account.Id == user.UserId) return UserResult.Refused(ErrorCatalogue.CannotChangeOwnAccount);
        if (validate() is { } invalid) return UserResult.Refused(invalid);
        if (prepare is not null && await prepare(account) is { } unprepared) return UserResult.Refused(unprepared);
        if (!await stepUp.VerifyAsync(user, stepUpPassword, action, db, ct)) return UserResult.Refused(ErrorCatalogue.StepUpFailed);

        // Serializable: two admins demoting each other at once must not both see "another enabled admin remains".
        await using var tx = await db.Database.BeginTransactionAsync(IsolationLevel.Serializable, ct);
        var before = await StateAsync(db, account, ct);
        var (code, details) = await change(db, account, before);
        if (code is { } c)
        {
            await tx.RollbackAsync(ct);
            return UserResult.Refused(c);
        }
        if (details is null) return new UserResult(null, account.Id);

        var now = clock.GetUtcNow();
        // Takes effect at once: the cookie's security-stamp validation (every minute) and the open circuit's revalidation (every
        // minute) refuse the old stamp, and the server-side sessions end now.
        account.SecurityStamp = NewStamp();
        account.ConcurrencyStamp = Guid.NewGuid().ToString();
        await db.SaveChangesAsync(ct);
        var ended = await db.PortalSessions.Where(s => s.UserId == account.Id && s.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.RevokedAt, now).SetProperty(x => x.EndReason, SessionEndReason), ct);
        var after = await StateAsync(db, account, ct);
        AuditLog.Add(db, user.OrganisationId, AuditActor.From(user), now, action, AuditOutcome.Succeeded, "User", account.Id, memberId: account.MemberId,
            securityEvent: true, details: new { before, after, sessions_ended = ended, change = details });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new UserResult(null, account.Id);
    }

    private static async Task<AccountState> StateAsync(PortalDbContext db, PortalUser account, CancellationToken ct)
    {
        var roles = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id where ur.UserId == account.Id select r.Name!).ToListAsync(ct);
        return new AccountState(account.Email ?? "", account.DisplayName, roles.OrderBy(RoleOrder).ToList(),
            !account.IsDisabled, account.TwoFactorEnabled, account.MustChangePassword);
    }

    /// <summary>Another enabled account of the organisation holds the enterprise admin role.</summary>
    private static Task<bool> OtherEnabledAdminExistsAsync(PortalDbContext db, PortalUser account, CancellationToken ct) =>
        (from u in db.Users
         join ur in db.UserRoles on u.Id equals ur.UserId
         join r in db.Roles on ur.RoleId equals r.Id
         where u.OrganisationId == account.OrganisationId && u.Id != account.Id && !u.IsDisabled && r.Name == PortalRoles.EnterpriseAdmin
         select u.Id).AnyAsync(ct);

    private static async Task<string> RoleIdAsync(PortalDbContext db, string role, CancellationToken ct) =>
        await db.Roles.Where(r => r.Name == role).Select(r => r.Id).SingleOrDefaultAsync(ct)
            ?? throw new InvalidOperationException($"Role {role} must exist (created at start-up).");

    private async Task<IReadOnlyList<string>> PasswordErrorsAsync(PortalUser account, string? password)
    {
        if (string.IsNullOrEmpty(password)) return [new PortalIdentityErrorDescriber().DefaultError().Description];
        var errors = new List<string>();
        foreach (var validator in userManager.PasswordValidators)
        {
            var result = await validator.ValidateAsync(userManager, account, password);
            errors.AddRange(result.Errors.Select(e => e.Description));
        }
        return errors;
    }

    internal static bool LooksLikeEmail(string email) =>
        email.Length is > 2 and <= MaxEmailLength && email.IndexOf('@') is > 0 and var at && at < email.Length - 1 && !email.Any(char.IsWhiteSpace);

    private static string NewStamp() => Guid.NewGuid().ToString("N");

    private static object? Changed<T>(T before, T after) where T : struct, Enum =>
        EqualityComparer<T>.Default.Equals(before, after) ? null : new { before = before.ToString(), after = after.ToString() };

    private static int RoleOrder(string role) => Array.IndexOf(PortalRoles.All, role);
}
