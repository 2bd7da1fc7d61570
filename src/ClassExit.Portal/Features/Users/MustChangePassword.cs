using Microsoft.AspNetCore.Authorization;

namespace ClassExit.Portal.Features.Users;

/// <summary>
/// An account given a one-time password (by an admin, or by <c>create-first-admin</c>) chooses its own before anything else. The
/// sign-in cookie carries <see cref="ClaimType"/> while <c>PortalUser.MustChangePassword</c> is set (the claims factory adds it; the
/// change-password page clears the flag and refreshes the cookie), and this middleware sends every request that needs a signed-in user
/// to the change-password page. What anyone may see without signing in (the sign-in page, static files, the framework's endpoints)
/// stays open, and so does signing out. No database read per request: the claim is the flag.
/// </summary>
public static class MustChangePassword
{
    public const string ClaimType = "cep:must_change_password";
    public const string PagePath = "/Account/Manage/ChangePassword";

    private static readonly string[] Open = [PagePath, "/Account/Logout"];

    /// <summary>After authentication (the principal) and routing (the endpoint's metadata), before authorization.</summary>
    public static IApplicationBuilder UseMustChangePassword(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.User.HasClaim(ClaimType, "true") && !IsOpen(context))
        {
            context.Response.Redirect(PagePath);
            return;
        }
        await next(context);
    });

    private static bool IsOpen(HttpContext context) =>
        Open.Any(p => context.Request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase))
        || context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null;
}
