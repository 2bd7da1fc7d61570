using Microsoft.AspNetCore.Identity;

namespace ClassExit.Portal.Data.Identity;

/// <summary>A portal sign-in, linked to one member of one organisation.</summary>
public sealed class PortalUser : IdentityUser
{
    /// <summary>The organisation the account belongs to; null for platform operators, who belong to none.</summary>
    public long? OrganisationId { get; set; }
    public long? MemberId { get; set; }
    public string DisplayName { get; set; } = "";
    /// <summary>zh-CN or en; null follows the browser.</summary>
    public string? PreferredCulture { get; set; }
    /// <summary>A disabled account loses its circuit at the next revalidation and cannot sign in.</summary>
    public bool IsDisabled { get; set; }
    /// <summary>Set when an admin gave the account a one-time password: the next sign-in must choose a new one before anything else.</summary>
    public bool MustChangePassword { get; set; }
}

/// <summary>Portal roles (ASP.NET Core Identity role names).</summary>
public static class PortalRoles
{
    public const string EnterpriseAdmin = "EnterpriseAdmin";
    public const string HrOperator = "HrOperator";
    public const string SchoolStaff = "SchoolStaff";
    public const string Auditor = "Auditor";
    public const string PlatformOperator = "PlatformOperator";

    public static readonly string[] All = [EnterpriseAdmin, HrOperator, SchoolStaff, Auditor, PlatformOperator];
}

/// <summary>Claims the portal adds to a signed-in principal.</summary>
public static class PortalClaims
{
    public const string OrganisationId = "cep:org";
    public const string MemberId = "cep:member";
    public const string DisplayName = "cep:name";
    public const string ApiKeyId = "cep:apikey";
    /// <summary>The scopes of the API key, space-separated.</summary>
    public const string ApiScopes = "cep:scopes";
    /// <summary>The server-side session (<see cref="PortalSession.Id"/>) of a cookie sign-in.</summary>
    public const string SessionId = "cep:sid";
}

/// <summary>
/// One signed-in browser session, on the server: the cookie carries its id, every request checks it, so signing out, "sign out
/// everywhere", the idle timeout and the absolute lifetime end the session here and not only in one browser.
/// </summary>
public sealed class PortalSession
{
    public string Id { get; set; } = Guid.NewGuid().ToString("N");
    public string UserId { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Last request or circuit activity; the idle timeout counts from here.</summary>
    public DateTimeOffset LastSeenAt { get; set; }
    /// <summary>The absolute end of the session, however active it is.</summary>
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    /// <summary>Why it ended: signed_out, signed_out_everywhere, idle, expired, account_changed.</summary>
    public string? EndReason { get; set; }
    /// <summary>When the user last re-verified themselves (password or authenticator code); step-up holds for a short window.</summary>
    public DateTimeOffset? SteppedUpAt { get; set; }
    public string? UserAgent { get; set; }
    public string? IpAddress { get; set; }
}
