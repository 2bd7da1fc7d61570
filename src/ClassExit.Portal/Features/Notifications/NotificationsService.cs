using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Notifications;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Features.Notifications;

public sealed record NotificationRow(long Id, string Kind, string Title, string Link, DateTimeOffset CreatedAt, bool Read);

public sealed record NotificationPage(IReadOnlyList<NotificationRow> Rows, int Total);

public sealed record PreferenceRow(string Kind, string Name, NotificationDelivery Delivery, bool CanTurnOff);

/// <summary>
/// The signed-in account's own notifications and preferences. Every query and change is of the caller's own rows (their user id, in
/// their organisation's tenant context): nobody reads or marks another account's notifications.
/// </summary>
public sealed class NotificationsService(TenantDb tenantDb, TimeProvider clock, IOptions<EmailOptions> email)
{
    public bool EmailEnabled => email.Value.Enabled;

    /// <summary>Kinds that wait for the reader's action: the dashboard's "waiting for you" tile and the list's filter.</summary>
    public static readonly IReadOnlyList<string> WaitingKinds =
        [EventKinds.ApprovalNeeded, EventKinds.ApprovalReminder, EventKinds.ApprovalEscalated, EventKinds.TransferOffered];

    /// <summary>The caller's unread notifications of <see cref="WaitingKinds"/>.</summary>
    public async Task<int> WaitingCountAsync(CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        if (user.UserId is null || !user.HasOrganisation) return 0;
        await using var db = await tenantDb.CreateAsync(ct);
        return await db.Notifications.CountAsync(n => n.UserId == user.UserId && n.ReadAt == null && WaitingKinds.Contains(n.Kind), ct);
    }

    public async Task<int> UnreadCountAsync(CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        if (user.UserId is null || !user.HasOrganisation) return 0;
        await using var db = await tenantDb.CreateAsync(ct);
        return await db.Notifications.CountAsync(n => n.UserId == user.UserId && n.ReadAt == null, ct);
    }

    /// <summary>One page, newest first; <paramref name="unreadOnly"/> and <paramref name="kinds"/> filter (the dashboard's "waiting for you").</summary>
    public async Task<NotificationPage> ListAsync(int page, int pageSize, bool unreadOnly, IReadOnlyCollection<string>? kinds = null, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        if (user.UserId is null || !user.HasOrganisation) return new([], 0);
        pageSize = Math.Clamp(pageSize, 1, 100);
        await using var db = await tenantDb.CreateAsync(ct);
        var q = db.Notifications.Where(n => n.UserId == user.UserId);
        if (unreadOnly) q = q.Where(n => n.ReadAt == null);
        if (kinds is { Count: > 0 }) q = q.Where(n => kinds.Contains(n.Kind));
        var total = await q.CountAsync(ct);
        var rows = await q.OrderByDescending(n => n.CreatedAt).ThenByDescending(n => n.Id).Skip(Math.Max(0, page) * pageSize).Take(pageSize)
            .Select(n => new { n.Id, n.Kind, n.DataJson, n.Link, n.CreatedAt, n.ReadAt }).ToListAsync(ct);
        var culture = System.Globalization.CultureInfo.CurrentUICulture;
        return new(rows.Select(n => new NotificationRow(n.Id, n.Kind, NotificationTexts.Title(n.Kind, n.DataJson, culture), n.Link, n.CreatedAt,
            n.ReadAt is not null)).ToList(), total);
    }

    /// <summary>Marks one of the caller's notifications read; returns its link (null when it is not theirs).</summary>
    public async Task<string?> MarkReadAsync(long id, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        if (user.UserId is null) return null;
        await using var db = await tenantDb.CreateAsync(ct);
        var n = await db.Notifications.SingleOrDefaultAsync(x => x.Id == id && x.UserId == user.UserId, ct);
        if (n is null) return null;
        n.MarkRead(clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
        return n.Link;
    }

    public async Task<int> MarkAllReadAsync(CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        if (user.UserId is null) return 0;
        var now = clock.GetUtcNow();
        await using var db = await tenantDb.CreateAsync(ct);
        return await db.Notifications.Where(n => n.UserId == user.UserId && n.ReadAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.ReadAt, now), ct);
    }

    public async Task<IReadOnlyList<PreferenceRow>> PreferencesAsync(CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        var chosen = user.UserId is null ? [] : await db.NotificationPreferences.Where(p => p.UserId == user.UserId).ToDictionaryAsync(p => p.Kind, p => p.Delivery, ct);
        var admin = PortalAuthorizer.ActorOf(user).Roles.HasFlag(Domain.Access.PortalRole.EnterpriseAdmin);
        var culture = System.Globalization.CultureInfo.CurrentUICulture;
        return EventKinds.All.Where(k => k != EventKinds.MemberExited)
            .Select(k => new PreferenceRow(k, NotificationTexts.Name(k, culture),
                NotificationPreference.Effective(k, chosen.GetValueOrDefault(k, NotificationPreference.Defaults.For(k)), admin),
                !(admin && EventKinds.IsSecurity(k)))).ToList();
    }

    /// <summary>Sets how the caller hears of one kind; "off" for a security event of an admin is refused (50901).</summary>
    public async Task<int?> SetPreferenceAsync(string kind, NotificationDelivery delivery, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        if (!EventKinds.All.Contains(kind) || kind == EventKinds.MemberExited || !Enum.IsDefined(delivery)) return ErrorCatalogue.UnknownEventKind;
        if (user.UserId is null || !user.HasOrganisation) return ErrorCatalogue.Forbidden;
        var admin = PortalAuthorizer.ActorOf(user).Roles.HasFlag(Domain.Access.PortalRole.EnterpriseAdmin);
        if (delivery == NotificationDelivery.Off && admin && EventKinds.IsSecurity(kind)) return ErrorCatalogue.SecurityNotificationRequired;
        await using var db = await tenantDb.CreateAsync(ct);
        var row = await db.NotificationPreferences.SingleOrDefaultAsync(p => p.UserId == user.UserId && p.Kind == kind, ct);
        if (row is null) db.NotificationPreferences.Add(new NotificationPreference(user.OrganisationId, user.UserId, kind, delivery));
        else row.Change(delivery);
        await db.SaveChangesAsync(ct);
        return null;
    }
}
