using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Organisations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Infrastructure;

/// <summary>Who must sign in with an authenticator code: the organisation's choice, and platform operators always (but in demo mode).</summary>
public static class TwoFactorPolicy
{
    /// <summary>The page a user who must enrol is taken to before anything else.</summary>
    public const string EnrolmentPath = "/Account/Manage/EnableAuthenticator";

    /// <summary>Added at sign-in to a user who must have a second factor and has none yet; enrolment signs in again without it.</summary>
    public const string MustEnrolClaim = "cep:must-enrol";

    /// <summary>
    /// True when the user's organisation (or, for a platform operator, the platform) requires a second factor of this user.
    /// Demo mode exempts platform operators so that the demo's operator account works at first start; demo organisations keep Nobody.
    /// </summary>
    public static bool IsRequired(TwoFactorRequirement organisationRequirement, IReadOnlyCollection<string> roles, bool demoMode)
    {
        if (roles.Contains(PortalRoles.PlatformOperator) && !demoMode) return true;
        return organisationRequirement switch
        {
            TwoFactorRequirement.Everyone => true,
            TwoFactorRequirement.AdminsAndHr => roles.Contains(PortalRoles.EnterpriseAdmin) || roles.Contains(PortalRoles.HrOperator),
            TwoFactorRequirement.EnterpriseAdmins => roles.Contains(PortalRoles.EnterpriseAdmin),
            _ => false,
        };
    }

    /// <summary>
    /// Signed-in users carrying <see cref="MustEnrolClaim"/> (added at sign-in by the claims factory) reach only the
    /// account pages and the assets they need; every other request is sent to enrolment. API keys never carry the claim.
    /// </summary>
    public static IApplicationBuilder UseTwoFactorEnrolment(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.User.HasClaim(c => c.Type == MustEnrolClaim) && !IsReachableBeforeEnrolment(context.Request.Path))
        {
            context.Response.Redirect(EnrolmentPath);
            return;
        }
        await next();
    });

    private static readonly string[] ReachablePrefixes = ["/Account", "/_framework", "/_content", "/_blazor", "/culture", "/health", "/metrics", "/csp-report"];

    private static bool IsReachableBeforeEnrolment(PathString path) =>
        ReachablePrefixes.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase))
        // Static assets (app.css, favicon.png, …): the account pages use them.
        || Path.HasExtension(path.Value);
}

/// <summary>Reads whether a user must have a second factor: their organisation's requirement and their roles.</summary>
public sealed class TwoFactorRequirements(IDbContextFactory<PortalDbContext> factory, IConfiguration configuration)
{
    public async Task<bool> IsRequiredAsync(PortalUser user, IReadOnlyCollection<string> roles, CancellationToken ct = default)
    {
        var requirement = TwoFactorRequirement.Nobody;
        if (user.OrganisationId is { } organisationId)
        {
            await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
            requirement = await db.Organisations.AsNoTracking().Where(o => o.Id == organisationId)
                .Select(o => o.TwoFactorRequiredFor).SingleOrDefaultAsync(ct);
        }
        return TwoFactorPolicy.IsRequired(requirement, roles, DemoOptions.IsOn(configuration));
    }
}

/// <summary>
/// Identity's store keeps recovery codes in clear in AspNetUserTokens; this one keeps only their SHA-256 hashes (salted with the
/// user id), so a copy of the database gives no code away. Each code is redeemed once.
/// </summary>
internal sealed class PortalUserStore(PortalDbContext context, IdentityErrorDescriber? describer = null)
    : UserStore<PortalUser, IdentityRole, PortalDbContext>(context, describer)
{
    internal const string LoginProvider = "[AspNetUserStore]";
    internal const string RecoveryCodesName = "RecoveryCodes";

    public override Task ReplaceCodesAsync(PortalUser user, IEnumerable<string> recoveryCodes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(recoveryCodes);
        return SetTokenAsync(user, LoginProvider, RecoveryCodesName, string.Join(";", recoveryCodes.Select(c => Hash(user, c))), cancellationToken);
    }

    public override async Task<bool> RedeemCodeAsync(PortalUser user, string code, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(code);
        var hashes = await StoredHashesAsync(user, cancellationToken);
        var given = Convert.FromHexString(Hash(user, code));
        var match = hashes.FirstOrDefault(h => CryptographicOperations.FixedTimeEquals(Convert.FromHexString(h), given));
        if (match is null) return false;
        hashes.Remove(match);
        await SetTokenAsync(user, LoginProvider, RecoveryCodesName, string.Join(";", hashes), cancellationToken);
        return true;
    }

    public override async Task<int> CountCodesAsync(PortalUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        return (await StoredHashesAsync(user, cancellationToken)).Count;
    }

    private async Task<List<string>> StoredHashesAsync(PortalUser user, CancellationToken ct)
    {
        var stored = await GetTokenAsync(user, LoginProvider, RecoveryCodesName, ct) ?? "";
        // Only hex hashes count: anything else (e.g. a clear code left by Identity's own store) is no valid code.
        return stored.Split(';', StringSplitOptions.RemoveEmptyEntries).Where(h => h.Length == 64 && h.All(Uri.IsHexDigit)).ToList();
    }

    /// <summary>Hex SHA-256 of the user id and the code as Identity generates it (upper case; spaces and case typed do not matter).</summary>
    internal static string Hash(PortalUser user, string code) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(user.Id + ":" + code.Replace(" ", "").Trim().ToUpperInvariant())));
}

/// <summary>Constants and formatting shared by the enrolment pages.</summary>
public static class TwoFactorCodes
{
    /// <summary>How many recovery codes a user gets at once.</summary>
    public const int Count = 10;

    /// <summary>The issuer shown in authenticator apps.</summary>
    public const string Issuer = "ClassExit.Portal";

    /// <summary>The shared key in groups of four, lower case (as Identity's template shows it; case and spaces do not matter).</summary>
    public static string FormatKey(string key)
    {
        var result = new StringBuilder();
        for (var i = 0; i < key.Length; i += 4)
        {
            if (i > 0) result.Append(' ');
            result.Append(key.AsSpan(i, Math.Min(4, key.Length - i)));
        }
        return result.ToString().ToLowerInvariant();
    }
}
