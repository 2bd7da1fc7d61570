using System.Security.Claims;
using ClassExit.Portal.Data.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;

namespace ClassExit.Portal.Infrastructure.Identity;

/// <summary>
/// The sign-in cookie's events: a session row at every sign-in (password, two-factor, refresh), a check of it on every request,
/// and its end at sign-out. Identity's security stamp check runs after ours, as before.
/// </summary>
internal static class PortalCookieEvents
{
    /// <summary><see cref="HttpContext.Items"/> key: the session of this request ended, and why.</summary>
    public const string EndedReasonItem = "cep:session-ended";

    public static void Attach(CookieAuthenticationOptions options)
    {
        var events = options.Events;
        var stampValidation = events.OnValidatePrincipal;
        var redirectToLogin = events.OnRedirectToLogin;
        events.OnSigningIn = SigningInAsync;
        events.OnSigningOut = SigningOutAsync;
        events.OnValidatePrincipal = async context =>
        {
            if (!await ValidateSessionAsync(context)) return;
            await stampValidation(context);
        };
        events.OnRedirectToLogin = context =>
        {
            // A page request whose session just ended lands on a page that says so, not on a bare sign-in form.
            if (context.HttpContext.Items[EndedReasonItem] is string reason && HttpMethods.IsGet(context.Request.Method))
            {
                context.Response.Redirect($"{context.Request.PathBase}/Account/SignedOut?reason={SignedOutReason(reason)}");
                return Task.CompletedTask;
            }
            return redirectToLogin(context);
        };
    }

    /// <summary>The reason the signed-out page shows: idle, expired, or ended (signed out elsewhere, account changed).</summary>
    public static string SignedOutReason(string? endReason) => endReason switch
    {
        SessionEndReasons.Idle => "idle",
        SessionEndReasons.Expired => "expired",
        _ => "ended",
    };

    private static async Task SigningInAsync(CookieSigningInContext context)
    {
        if (context.Principal?.Identity is not ClaimsIdentity identity) return;
        var userId = identity.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        if (userId is null) return;
        var store = context.HttpContext.RequestServices.GetRequiredService<PortalSessionStore>();
        // A refresh (security stamp, password change) re-issues the cookie of the same session; a new sign-in starts one.
        var current = identity.FindFirst(PortalClaims.SessionId)?.Value
                      ?? (context.HttpContext.User.FindFirstValue(ClaimTypes.NameIdentifier) == userId
                          ? context.HttpContext.User.FindFirstValue(PortalClaims.SessionId) : null);
        if (current is null || !(await store.CheckAsync(current, userId, touch: true, context.HttpContext.RequestAborted)).IsActive)
        {
            current = await store.StartAsync(userId, context.Request.Headers.UserAgent.ToString(),
                context.HttpContext.Connection.RemoteIpAddress?.ToString(), context.HttpContext.RequestAborted);
        }
        foreach (var claim in identity.FindAll(PortalClaims.SessionId).ToList()) identity.RemoveClaim(claim);
        identity.AddClaim(new Claim(PortalClaims.SessionId, current));
    }

    private static async Task<bool> ValidateSessionAsync(CookieValidatePrincipalContext context)
    {
        var principal = context.Principal;
        var store = context.HttpContext.RequestServices.GetRequiredService<PortalSessionStore>();
        var check = await store.CheckAsync(principal?.FindFirstValue(PortalClaims.SessionId), principal?.FindFirstValue(ClaimTypes.NameIdentifier),
            touch: true, context.HttpContext.RequestAborted);
        if (check.IsActive) return true;
        context.HttpContext.Items[EndedReasonItem] = check.EndReason;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
        return false;
    }

    private static async Task SigningOutAsync(CookieSigningOutContext context)
    {
        var store = context.HttpContext.RequestServices.GetRequiredService<PortalSessionStore>();
        // Ends the session on the server: a copy of the cookie replayed later is refused. Already ended: keeps its first reason.
        await store.EndAsync(context.HttpContext.User.FindFirstValue(PortalClaims.SessionId), SessionEndReasons.SignedOut,
            context.HttpContext.RequestAborted);
    }
}
