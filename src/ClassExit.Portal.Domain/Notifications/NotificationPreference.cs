namespace ClassExit.Portal.Domain.Notifications;

/// <summary>How one account wants to hear of one event kind.</summary>
public enum NotificationDelivery
{
    /// <summary>Not at all (refused for security events of admins).</summary>
    Off = 0,
    /// <summary>In the portal only (bell and list).</summary>
    Portal = 1,
    /// <summary>In the portal and by e-mail at once (the default).</summary>
    Email = 2,
    /// <summary>In the portal at once, by e-mail in one daily digest.</summary>
    Digest = 3,
}

/// <summary>One account's choice for one event kind; no row means <see cref="Defaults.For"/>.</summary>
public sealed class NotificationPreference : ITenantOwned
{
    private NotificationPreference() { }

    public NotificationPreference(long organisationId, string userId, string kind, NotificationDelivery delivery)
    {
        OrganisationId = organisationId;
        UserId = userId;
        Kind = kind;
        Delivery = delivery;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public string UserId { get; private set; } = "";
    public string Kind { get; private set; } = "";
    public NotificationDelivery Delivery { get; private set; }

    public void Change(NotificationDelivery delivery) => Delivery = delivery;

    public static class Defaults
    {
        /// <summary>The daily stale-devices report is a digest by nature; everything else is portal + e-mail.</summary>
        public static NotificationDelivery For(string kind) => kind == EventKinds.DevicesStale ? NotificationDelivery.Digest : NotificationDelivery.Email;
    }

    /// <summary>
    /// What a choice becomes for an account: security events reach admins whatever they chose (at least in the portal and by e-mail
    /// in the digest; "off" is refused when saved and ignored if found).
    /// </summary>
    public static NotificationDelivery Effective(string kind, NotificationDelivery chosen, bool recipientIsAdmin) =>
        chosen == NotificationDelivery.Off && recipientIsAdmin && EventKinds.IsSecurity(kind) ? NotificationDelivery.Email : chosen;
}
