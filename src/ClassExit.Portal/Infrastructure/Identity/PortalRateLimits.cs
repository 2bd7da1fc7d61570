using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Audit;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Infrastructure.Identity;

/// <summary>
/// Rate limits on guessing: sign-in attempts per e-mail address and per client IP (ASP.NET Core's rate limiter, in front of the
/// sign-in form), step-up attempts per account (<see cref="StepUpRateLimiter"/>, in the circuit where step-up runs).
/// Lockout (5 wrong passwords) protects a known account; these also slow down spraying many accounts from one address and
/// guessing accounts that do not exist. The same global limiter carries the REST API's limits (<see cref="ApiRateLimits"/>).
/// </summary>
public static class PortalRateLimits
{
    public const string SignInPath = "/Account/Login";

    public static IServiceCollection AddPortalRateLimits(this IServiceCollection services)
    {
        services.AddSingleton<StepUpRateLimiter>();
        services.AddRateLimiter(_ => { });
        services.AddApiRateLimits();
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<SessionOptions>, ApiRateLimits>((o, sessions, api) =>
        {
            var s = sessions.Value;
            var window = TimeSpan.FromMinutes(s.RateLimitWindowMinutes);
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(context => IsSignInPost(context)
                    ? RateLimitPartition.GetFixedWindowLimiter("ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown"),
                        _ => Window(s.SignInPerIpLimit, window))
                    : RateLimitPartition.GetNoLimiter("")),
                PartitionedRateLimiter.Create<HttpContext, string>(context => IsSignInPost(context) && EmailOf(context) is { } email
                    ? RateLimitPartition.GetFixedWindowLimiter("account:" + email, _ => Window(s.SignInPerAccountLimit, window))
                    : RateLimitPartition.GetNoLimiter("")),
                // The REST API's limits (ApiRateLimits): per key, per organisation, batches at once.
                api.PerKey, api.PerOrganisation, api.Batches);
            o.OnRejected = (rejected, ct) => ApiRateLimits.IsApiCall(rejected.HttpContext)
                ? api.OnRejectedAsync(rejected, ct)
                : OnSignInRejectedAsync(rejected, ct);
        });
        return services;
    }

    /// <summary>
    /// Reads the sign-in form before the limiter (the limiter's partitioner is synchronous), then applies the limits. Goes after
    /// <c>UseAuthorization</c>: the API's limits are per API key, which the authorization middleware authenticates.
    /// </summary>
    public static IApplicationBuilder UsePortalRateLimits(this IApplicationBuilder app)
    {
        app.Use(async (context, next) =>
        {
            if (IsSignInPost(context) && context.Request.HasFormContentType) await context.Request.ReadFormAsync(context.RequestAborted);
            await next(context);
        });
        return app.UseRateLimiter();
    }

    internal static FixedWindowRateLimiterOptions Window(int limit, TimeSpan window) =>
        new() { PermitLimit = limit, Window = window, QueueLimit = 0, AutoReplenishment = true };

    private static bool IsSignInPost(HttpContext context) =>
        HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Equals(SignInPath, StringComparison.OrdinalIgnoreCase);

    private static string? EmailOf(HttpContext context)
    {
        if (!context.Request.HasFormContentType) return null;
        var email = context.Request.Form["Input.Email"].ToString().Trim();
        return email.Length == 0 ? null : email.ToUpperInvariant();
    }

    private static async ValueTask OnSignInRejectedAsync(OnRejectedContext rejected, CancellationToken ct)
    {
        var context = rejected.HttpContext;
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 60;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);

        // Audited as a security event; the e-mail typed is named, a password never.
        var email = EmailOf(context) is null ? null : context.Request.Form["Input.Email"].ToString().Trim();
        var users = context.RequestServices.GetRequiredService<UserManager<PortalUser>>();
        var user = email is null ? null : await users.FindByEmailAsync(email);
        await context.RequestServices.GetRequiredService<SecurityAudit>().RecordAsync("auth.sign_in_rate_limited", AuditOutcome.Refused,
            user?.Id, email ?? context.Connection.RemoteIpAddress?.ToString(), context.TraceIdentifier, ct: ct);

        var minutes = Math.Max(1, (int)Math.Ceiling(seconds / 60.0));
        var title = WebUtility.HtmlEncode(Text.Get("RateLimit.SignInTitle"));
        var message = WebUtility.HtmlEncode(Text.Format("RateLimit.SignInMessage", minutes));
        var again = WebUtility.HtmlEncode(Text.Get("RateLimit.BackToSignIn"));
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync($"""
            <!DOCTYPE html>
            <html lang="{CultureInfo.CurrentUICulture.Name}"><head><meta charset="utf-8" /><title>{title} · ClassExit.Portal</title>
            <link rel="stylesheet" href="{context.Request.PathBase}/app.css" /></head>
            <body><div class="login-shell"><section class="login-card" data-testid="rate-limited">
            <h1>{title}</h1><p role="alert">{message}</p><p><a href="{context.Request.PathBase}{SignInPath}">{again}</a></p>
            </section></div></body></html>
            """, ct);
    }
}

/// <summary>Step-up attempts per account, in the window of <see cref="SessionOptions.RateLimitWindowMinutes"/>.</summary>
public sealed class StepUpRateLimiter(IOptions<SessionOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(userId =>
        RateLimitPartition.GetFixedWindowLimiter(userId,
            _ => PortalRateLimits.Window(options.Value.StepUpPerAccountLimit, TimeSpan.FromMinutes(options.Value.RateLimitWindowMinutes))));

    /// <summary>Takes one attempt; false when the account has used up its attempts for now.</summary>
    public bool TryAcquire(string userId)
    {
        using var lease = _limiter.AttemptAcquire(userId);
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
