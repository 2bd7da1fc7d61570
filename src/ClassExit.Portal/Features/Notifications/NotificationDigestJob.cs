using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Notifications;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Features.Notifications;

/// <summary>
/// Once a day: each account's e-mails that wait for the digest become one e-mail (a new outbox row), in the same transaction that
/// marks them carried, so a digest is written once and its items never again.
/// </summary>
public sealed class NotificationDigestJob(IDbContextFactory<PortalDbContext> factory, IOptions<EmailOptions> options, TimeProvider clock,
    EmailOutboxJob sender)
{
    public const string JobId = "notifications-digest";

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        int digests;
        await using (var db = (await factory.CreateDbContextAsync(ct)).ForSystem())
        {
            var waiting = await db.EmailOutbox.Where(m => m.State == EmailOutboxState.AwaitingDigest).OrderBy(m => m.Id).Take(10_000).ToListAsync(ct);
            if (waiting.Count == 0) return 0;
            var names = await db.Users.Where(u => waiting.Select(w => w.UserId).Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var groups = waiting.GroupBy(m => (m.OrganisationId, m.UserId)).ToList();
            var made = new List<(EmailOutboxMessage Digest, List<EmailOutboxMessage> Items)>();
            foreach (var g in groups)
            {
                var first = g.First();
                var culture = NotificationTexts.CultureOf(first.Culture);
                var items = g.Select(m => (m.Subject, m.Link)).ToList();
                var (subject, text, html) = NotificationTexts.Digest(items, options.Value.PortalUrl, names.GetValueOrDefault(first.UserId, ""), culture);
                var digest = new EmailOutboxMessage(g.Key.OrganisationId, first.UserId, first.ToAddress, first.Culture, "digest", subject, text, html, now);
                db.EmailOutbox.Add(digest);
                made.Add((digest, g.ToList()));
            }
            await db.SaveChangesAsync(ct);
            foreach (var (digest, items) in made)
                foreach (var item in items) item.CarriedBy(digest.Id, now);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            digests = made.Count;
        }
        await sender.RunAsync(ct);
        return digests;
    }
}
