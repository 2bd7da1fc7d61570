using System.ComponentModel.DataAnnotations;

namespace ClassExit.Portal.Features.Notifications;

/// <summary>The <c>Email</c> configuration section: the SMTP server notifications are sent through. No host: e-mail is off.</summary>
public sealed class EmailOptions
{
    public const string SectionName = "Email";

    /// <summary>SMTP host; empty switches e-mail off (notifications stay in the portal, and the settings page says so).</summary>
    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 587;

    /// <summary>TLS: implicit on port 465, STARTTLS otherwise. Off only for a local test server.</summary>
    public bool UseTls { get; set; } = true;

    public string? User { get; set; }
    public string? Password { get; set; }

    /// <summary>Sender address, e.g. <c>ClassExit.Portal &lt;noreply@example.org&gt;</c>.</summary>
    public string From { get; set; } = "ClassExit.Portal <noreply@classexit.local>";

    /// <summary>The portal's public address, for the links in e-mails (e.g. https://portal.example.org).</summary>
    public string? PortalUrl { get; set; }

    /// <summary>Cron of the sender (it is also enqueued after every commit that staged e-mail).</summary>
    [Required]
    public string SendCron { get; set; } = "* * * * *";

    /// <summary>Cron of the daily digest (UTC).</summary>
    [Required]
    public string DigestCron { get; set; } = "0 23 * * *";

    /// <summary>Cron of the SLA reminder job.</summary>
    [Required]
    public string ReminderCron { get; set; } = "*/5 * * * *";

    /// <summary>Cron of the daily stale-devices report and the API keys' expiry warning (UTC).</summary>
    [Required]
    public string DailyReportCron { get; set; } = "0 0 * * *";

    public bool Enabled => !string.IsNullOrWhiteSpace(Host);
}
