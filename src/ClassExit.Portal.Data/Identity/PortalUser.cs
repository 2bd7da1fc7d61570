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
}
