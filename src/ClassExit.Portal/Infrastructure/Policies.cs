using ClassExit.Portal.Data.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;

namespace ClassExit.Portal.Infrastructure;

/// <summary>Named authorization policies: pages and endpoints name these, never role strings.</summary>
public static class Policies
{
    /// <summary>Any signed-in portal user of an organisation.</summary>
    public const string PortalUser = nameof(PortalUser);
    /// <summary>Enterprise admins: everything in the organisation.</summary>
    public const string EnterpriseAdmin = nameof(EnterpriseAdmin);
    /// <summary>May approve exits: enterprise admins and school staff.</summary>
    public const string Approver = nameof(Approver);
    /// <summary>May read the audit log, retention and sync health: enterprise admins and auditors.</summary>
    public const string AuditReader = nameof(AuditReader);
    /// <summary>
    /// Organisation-wide lists (all members, every exit request, devices and sync health, retention, dashboard totals): enterprise
    /// admins, HR operators and auditors; not school staff, who see their own classes (ADR 0007, <c>ReadScope</c>).
    /// </summary>
    public const string OrganisationReader = nameof(OrganisationReader);
    /// <summary>HR operators and enterprise admins: bulk exits, API keys.</summary>
    public const string HrOperator = nameof(HrOperator);
    /// <summary>Platform operators: approve quota increases.</summary>
    public const string PlatformOperator = nameof(PlatformOperator);
    /// <summary>Callers of the REST API with an organisation API key.</summary>
    public const string ApiClient = nameof(ApiClient);

    public static IServiceCollection AddPortalAuthorization(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder()
            // An endpoint or page that names no policy needs a signed-in user; the anonymous ones say so with AllowAnonymous.
            .SetFallbackPolicy(Cookie(new AuthorizationPolicyBuilder()).Build())
            .AddPolicy(PortalUser, p => Cookie(p).RequireClaim(PortalClaims.OrganisationId))
            .AddPolicy(EnterpriseAdmin, p => Cookie(p).RequireRole(PortalRoles.EnterpriseAdmin))
            .AddPolicy(Approver, p => Cookie(p).RequireRole(PortalRoles.EnterpriseAdmin, PortalRoles.SchoolStaff))
            .AddPolicy(AuditReader, p => Cookie(p).RequireRole(PortalRoles.EnterpriseAdmin, PortalRoles.Auditor))
            .AddPolicy(OrganisationReader, p => Cookie(p).RequireClaim(PortalClaims.OrganisationId)
                .RequireRole(PortalRoles.EnterpriseAdmin, PortalRoles.HrOperator, PortalRoles.Auditor))
            .AddPolicy(HrOperator, p => Cookie(p).RequireRole(PortalRoles.EnterpriseAdmin, PortalRoles.HrOperator))
            .AddPolicy(PlatformOperator, p => Cookie(p).RequireRole(PortalRoles.PlatformOperator))
            .AddPolicy(ApiClient, p => p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser().RequireClaim(PortalClaims.ApiKeyId));
        return services;
    }

    private static AuthorizationPolicyBuilder Cookie(AuthorizationPolicyBuilder p) =>
        p.AddAuthenticationSchemes(IdentityConstants.ApplicationScheme).RequireAuthenticatedUser();
}
