using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Notifications;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;

namespace ClassExit.Portal.Features.Notifications;

/// <summary>
/// Sends the e-mail outbox through SMTP (MailKit). Each message is claimed before it is sent (a short lease, so two runs never send
/// the same row), sent with the Message-Id of its outbox id (a receiver that sees it twice after a crash can tell), and marked sent;
/// a failure is retried with exponential back-off (<see cref="EmailOutboxMessage.BackOff"/>) up to <see cref="EmailOutboxMessage.MaxAttempts"/>.
/// </summary>
public sealed class EmailOutboxJob(IDbContextFactory<PortalDbContext> factory, IOptions<EmailOptions> options, TimeProvider clock,
    ILogger<EmailOutboxJob> logger)
{
    public const string JobId = "notifications-email";
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    private const int BatchSize = 100;

    /// <summary>Sends what is due; returns how many were sent.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var o = options.Value;
        if (!o.Enabled) return 0;
        var now = clock.GetUtcNow();
        await using var db = (await factory.CreateDbContextAsync(ct)).ForSystem();
        var due = await db.EmailOutbox.Where(m => m.State == EmailOutboxState.Pending && m.NextAttemptAt <= now)
            .OrderBy(m => m.Id).Select(m => m.Id).Take(BatchSize).ToListAsync(ct);
        if (due.Count == 0) return 0;

        var sent = 0;
        using var smtp = new SmtpClient { Timeout = 15_000 };
        try
        {
            foreach (var id in due)
            {
                // Claim: only the run that moves NextAttemptAt sends this row.
                var claimed = await db.EmailOutbox.Where(m => m.Id == id && m.State == EmailOutboxState.Pending && m.NextAttemptAt <= now)
                    .ExecuteUpdateAsync(s => s.SetProperty(m => m.NextAttemptAt, now + Lease), ct);
                if (claimed == 0) continue;
                var message = await db.EmailOutbox.SingleAsync(m => m.Id == id, ct);
                try
                {
                    if (!smtp.IsConnected) await ConnectAsync(smtp, o, ct);
                    await smtp.SendAsync(Build(message, o), ct);
                    message.MarkSent(clock.GetUtcNow());
                    sent++;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    message.MarkFailed(clock.GetUtcNow(), $"{ex.GetType().Name}: {ex.Message}");
                    logger.LogWarning("E-mail {Id} not sent (attempt {Attempt}): {Error}", message.Id, message.Attempts, ex.Message);
                    if (smtp.IsConnected) await smtp.DisconnectAsync(true, CancellationToken.None);
                }
                await db.SaveChangesAsync(CancellationToken.None);
            }
        }
        finally
        {
            if (smtp.IsConnected) await smtp.DisconnectAsync(true, CancellationToken.None);
        }
        if (sent > 0) logger.LogInformation("Sent {Count} notification e-mails", sent);
        return sent;
    }

    private static async Task ConnectAsync(SmtpClient smtp, EmailOptions o, CancellationToken ct)
    {
        var security = !o.UseTls ? SecureSocketOptions.None : o.Port == 465 ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls;
        await smtp.ConnectAsync(o.Host!, o.Port, security, ct);
        if (!string.IsNullOrEmpty(o.User)) await smtp.AuthenticateAsync(o.User, o.Password ?? "", ct);
    }

    /// <summary>The MIME message of one outbox row: text and HTML alternatives, Message-Id from the outbox id.</summary>
    public static MimeMessage Build(EmailOutboxMessage m, EmailOptions o)
    {
        var from = MailboxAddress.Parse(o.From);
        var message = new MimeMessage();
        message.From.Add(from);
        message.To.Add(MailboxAddress.Parse(m.ToAddress));
        message.Subject = m.Subject;
        var domain = from.Address.Contains('@') ? from.Address[(from.Address.IndexOf('@') + 1)..] : "classexit.local";
        message.MessageId = $"notification-{m.Id}@{domain}";
        message.Headers.Add("X-ClassExit-Event", m.Kind);
        message.Headers.Add(HeaderId.ContentLanguage, m.Culture);
        message.Date = m.CreatedAt;
        message.Body = new BodyBuilder { TextBody = m.TextBody, HtmlBody = m.HtmlBody }.ToMessageBody();
        return message;
    }
}
