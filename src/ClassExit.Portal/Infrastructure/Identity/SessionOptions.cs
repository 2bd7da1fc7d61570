using System.ComponentModel.DataAnnotations;

namespace ClassExit.Portal.Infrastructure.Identity;

/// <summary>The <c>Sessions</c> configuration section: how long a sign-in lasts, how long step-up holds, and the rate limits.</summary>
public sealed class SessionOptions
{
    public const string SectionName = "Sessions";

    /// <summary>Minutes without a request or circuit activity after which the session ends (default 30).</summary>
    [Range(1, 24 * 60)]
    public int IdleMinutes { get; set; } = 30;

    /// <summary>Hours after sign-in after which the session ends however active it is (default 12).</summary>
    [Range(1, 24 * 30)]
    public int AbsoluteHours { get; set; } = 12;

    /// <summary>Minutes a successful step-up holds in the session, so that a run of sensitive changes asks once (default 5).</summary>
    [Range(0, 60)]
    public int StepUpMinutes { get; set; } = 5;

    /// <summary>Sign-in attempts (POST) allowed per e-mail address in <see cref="RateLimitWindowMinutes"/> (default 10).</summary>
    [Range(1, 100_000)]
    public int SignInPerAccountLimit { get; set; } = 10;

    /// <summary>Sign-in attempts (POST) allowed per client IP address in <see cref="RateLimitWindowMinutes"/> (default 50).</summary>
    [Range(1, 100_000)]
    public int SignInPerIpLimit { get; set; } = 50;

    /// <summary>Step-up attempts allowed per account in <see cref="RateLimitWindowMinutes"/> (default 10).</summary>
    [Range(1, 100_000)]
    public int StepUpPerAccountLimit { get; set; } = 10;

    /// <summary>The window of the rate limits, in minutes (default 5).</summary>
    [Range(1, 24 * 60)]
    public int RateLimitWindowMinutes { get; set; } = 5;

    /// <summary>Whether the sign-in cookie is <c>__Host-</c> prefixed and Secure. Null: yes outside Development.</summary>
    public bool? SecureCookie { get; set; }
}
