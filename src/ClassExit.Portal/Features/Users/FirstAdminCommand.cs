using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Features.Audit;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Users;

/// <summary>
/// The first enterprise admin of an organisation on a deployment without demo data, from the server's console (whoever can run it can
/// already read the database):
/// <c>dotnet run --project src/ClassExit.Portal -- create-first-admin --organisation "Name" --time-zone Asia/Shanghai --kind Education
/// --email a@b --name "…"</c>. Creates the organisation when none has that name, a member and an EnterpriseAdmin account with a
/// generated one-time password, printed once, that must be changed at the first sign-in. Works once: refused while the organisation has
/// an enabled enterprise admin (they add the others on <c>/users</c>).
/// With <c>--recover</c> (organisation and e-mail of an existing enterprise admin), after the operator types the e-mail again to confirm:
/// the account's two-factor sign-in is switched off (authenticator key and recovery codes removed), it is enabled and unlocked, gets a
/// new one-time password, and every session ends. Both are audited as security events.
/// </summary>
public static class FirstAdminCommand
{
    public const string Name = "create-first-admin";

    /// <summary>For Program.cs: runs the command when the arguments name it (then the host exits with its exit code).</summary>
    public static async Task<bool> TryRunAsync(WebApplication app, string[] args)
    {
        if (args.Length == 0 || args[0] != Name) return false;
        Environment.ExitCode = await RunAsync(app.Services, args[1..], Console.Out, Console.In);
        return true;
    }

    /// <summary>0 when done, 1 when refused (the reason is written to <paramref name="output"/>), 2 for wrong arguments.</summary>
    public static async Task<int> RunAsync(IServiceProvider services, IReadOnlyList<string> args, TextWriter output, TextReader input, CancellationToken ct = default)
    {
        var options = Parse(args);
        if (options is null || !options.TryGetValue("organisation", out var organisation) || !options.TryGetValue("email", out var email))
        {
            await output.WriteLineAsync($"Usage: {Name} --organisation \"Name\" --email admin@example.org --name \"Display name\" [--time-zone Asia/Shanghai] [--kind Education|Enterprise|Finance]");
            await output.WriteLineAsync($"       {Name} --recover --organisation \"Name\" --email admin@example.org");
            return 2;
        }
        await using var scope = services.CreateAsyncScope();
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var normalizer = scope.ServiceProvider.GetRequiredService<ILookupNormalizer>();
        var now = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow();
        // System scope: the command acts before anyone of the organisation can sign in. Identity's tables carry no tenant filter anyway;
        // the organisation is named in every query.
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var org = await db.Organisations.SingleOrDefaultAsync(o => o.Name == organisation, ct);
        var normalizedEmail = normalizer.NormalizeEmail(email.Trim());

        if (options.ContainsKey("recover"))
            return await RecoverAsync(db, users, org, normalizedEmail, now, output, input, ct);

        var name = options.GetValueOrDefault("name")?.Trim();
        var timeZone = options.GetValueOrDefault("time-zone") ?? "Asia/Shanghai";
        if (string.IsNullOrEmpty(name) || name.Length > UsersService.MaxNameLength || !UsersService.LooksLikeEmail(email.Trim()) || !TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out _)
            || !Enum.TryParse<OrganisationKind>(options.GetValueOrDefault("kind") ?? nameof(OrganisationKind.Enterprise), ignoreCase: true, out var kind))
        {
            await output.WriteLineAsync("--email (an address), --name (at most 100 characters), --time-zone (an IANA zone such as Asia/Shanghai) and --kind (Education, Enterprise or Finance) must be valid.");
            return 2;
        }
        if (org is not null && await EnabledAdminsOf(db, org.Id).AnyAsync(ct))
        {
            await output.WriteLineAsync($"Refused: \"{org.Name}\" already has an enabled enterprise admin, who adds further accounts on /users. " +
                $"If that admin cannot sign in, use {Name} --recover.");
            return 1;
        }
        if (await db.Users.AnyAsync(u => u.NormalizedEmail == normalizedEmail || u.NormalizedUserName == normalizer.NormalizeName(email.Trim()), ct))
        {
            await output.WriteLineAsync($"Refused: {email.Trim()} is already used by a portal account.");
            return 1;
        }

        var password = UsersService.GenerateOneTimePassword();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (org is null)
        {
            org = new Domain.Organisations.Organisation(organisation.Trim(), timeZone, kind);
            db.Organisations.Add(org);
            await db.SaveChangesAsync(ct);
        }
        var employeeNo = "ADMIN-1";
        for (var n = 2; await db.Members.AnyAsync(m => m.OrganisationId == org.Id && m.EmployeeNo == employeeNo, ct); n++) employeeNo = $"ADMIN-{n}";
        var member = new Member(org.Id, name, employeeNo, OrgRole.EnterpriseAdmin, email.Trim());
        db.Members.Add(member);
        await db.SaveChangesAsync(ct);
        var account = new PortalUser
        {
            UserName = email.Trim(), NormalizedUserName = normalizer.NormalizeName(email.Trim()), Email = email.Trim(), NormalizedEmail = normalizedEmail,
            EmailConfirmed = true, LockoutEnabled = true, SecurityStamp = Guid.NewGuid().ToString("N"), OrganisationId = org.Id, MemberId = member.Id,
            DisplayName = name, MustChangePassword = true,
        };
        account.PasswordHash = users.PasswordHasher.HashPassword(account, password);
        db.Users.Add(account);
        var roleId = await db.Roles.Where(r => r.Name == PortalRoles.EnterpriseAdmin).Select(r => r.Id).SingleAsync(ct);
        db.UserRoles.Add(new IdentityUserRole<string> { UserId = account.Id, RoleId = roleId });
        AuditLog.Add(db, org.Id, AuditActor.System(Name), now, "user.first_admin_created", AuditOutcome.Succeeded, "User", account.Id, memberId: member.Id,
            securityEvent: true, details: new { before = (object?)null, after = new { email = account.Email, name, roles = new[] { PortalRoles.EnterpriseAdmin }, enabled = true, must_change_password = true } });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);

        await output.WriteLineAsync($"Created the enterprise admin {account.Email} of \"{org.Name}\" (organisation {org.Id}).");
        await output.WriteLineAsync($"One-time password (shown this once; it must be changed at the first sign-in): {password}");
        return 0;
    }

    private static async Task<int> RecoverAsync(PortalDbContext db, UserManager<PortalUser> users, Domain.Organisations.Organisation? org, string normalizedEmail,
        DateTimeOffset now, TextWriter output, TextReader input, CancellationToken ct)
    {
        var account = org is null ? null : await EnabledOrNotAdminsOf(db, org.Id).SingleOrDefaultAsync(u => u.NormalizedEmail == normalizedEmail, ct);
        if (org is null || account is null)
        {
            await output.WriteLineAsync("Refused: no enterprise admin with that e-mail in that organisation.");
            return 1;
        }
        await output.WriteLineAsync($"This switches off two-factor sign-in for {account.Email} of \"{org.Name}\", enables and unlocks the account, " +
            "gives it a new one-time password and ends its sessions. Type the e-mail address again to confirm:");
        var typed = (await input.ReadLineAsync(ct))?.Trim();
        if (!string.Equals(typed, account.Email, StringComparison.OrdinalIgnoreCase))
        {
            await output.WriteLineAsync("Not confirmed; nothing changed.");
            return 1;
        }

        var password = UsersService.GenerateOneTimePassword();
        var before = new { enabled = !account.IsDisabled, two_factor = account.TwoFactorEnabled, locked_out = account.LockoutEnd > now, must_change_password = account.MustChangePassword };
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // The authenticator key and the recovery codes are Identity's user tokens.
        await db.UserTokens.Where(t => t.UserId == account.Id).ExecuteDeleteAsync(ct);
        account.TwoFactorEnabled = false;
        account.IsDisabled = false;
        account.LockoutEnd = null;
        account.AccessFailedCount = 0;
        account.MustChangePassword = true;
        account.PasswordHash = users.PasswordHasher.HashPassword(account, password);
        account.SecurityStamp = Guid.NewGuid().ToString("N");
        account.ConcurrencyStamp = Guid.NewGuid().ToString();
        var ended = await db.PortalSessions.Where(s => s.UserId == account.Id && s.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.RevokedAt, now).SetProperty(x => x.EndReason, UsersService.SessionEndReason), ct);
        AuditLog.Add(db, org.Id, AuditActor.System(Name + " --recover"), now, "user.recovered", AuditOutcome.Succeeded, "User", account.Id,
            memberId: account.MemberId, securityEvent: true, details: new
            {
                before,
                after = new { enabled = true, two_factor = false, locked_out = false, must_change_password = true },
                sessions_ended = ended,
            });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await output.WriteLineAsync($"Recovered {account.Email}. One-time password (shown this once; it must be changed at the next sign-in): {password}");
        return 0;
    }

    private static IQueryable<PortalUser> EnabledOrNotAdminsOf(PortalDbContext db, long organisationId) =>
        from u in db.Users
        join ur in db.UserRoles on u.Id equals ur.UserId
        join r in db.Roles on ur.RoleId equals r.Id
        where u.OrganisationId == organisationId && r.Name == PortalRoles.EnterpriseAdmin
        select u;

    private static IQueryable<PortalUser> EnabledAdminsOf(PortalDbContext db, long organisationId) =>
        EnabledOrNotAdminsOf(db, organisationId).Where(u => !u.IsDisabled);

    /// <summary><c>--key value</c> pairs and <c>--flag</c>s; null when something else is given.</summary>
    private static Dictionary<string, string>? Parse(IReadOnlyList<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) return null;
            var key = args[i][2..];
            if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) options[key] = args[++i];
            else options[key] = "";
        }
        return options;
    }
}
