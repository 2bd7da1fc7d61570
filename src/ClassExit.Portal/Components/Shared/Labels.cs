using System.Globalization;
using System.Resources;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Members;
using MudBlazor;

namespace ClassExit.Portal.Components.Shared;

/// <summary>
/// The portal's resource strings outside a component (labels of domain values, messages built in services): the same
/// <c>Resources/SharedResource*.resx</c> that components read through <c>IStringLocalizer&lt;SharedResource&gt;</c>, in the
/// current UI culture.
/// </summary>
public static class Text
{
    private static readonly ResourceManager Resources =
        new("ClassExit.Portal.Resources.SharedResource", typeof(SharedResource).Assembly);

    public static string Get(string key) => Resources.GetString(key, CultureInfo.CurrentUICulture) ?? key;

    public static string Format(string key, params object?[] args) => string.Format(CultureInfo.CurrentCulture, Get(key), args);

    /// <summary>
    /// A count in words: <c>key.One</c> when <paramref name="count"/> is 1 ("1 message"), else <c>key</c> ("3 messages"). Chinese has
    /// no plural forms, so its <c>.One</c> text is the same as the other; both languages carry the key, so neither falls back.
    /// </summary>
    public static string Plural(string key, long count) =>
        string.Format(CultureInfo.CurrentCulture, Get(count == 1 ? key + ".One" : key), count.ToString("N0", CultureInfo.CurrentCulture));

    /// <summary>Whether a key exists in the neutral (English) resources; used by tests.</summary>
    public static bool Exists(string key) => Resources.GetString(key, CultureInfo.InvariantCulture) is not null;
}

/// <summary>Display labels for domain values, in the reader's language (keys <c>Enum.Value</c> in the resources).</summary>
public static class Labels
{
    public static string Of<TEnum>(TEnum value) where TEnum : struct, Enum => Text.Get($"{typeof(TEnum).Name}.{value}");

    public static Color ColorOf(MembershipState state) => state switch
    {
        MembershipState.Active => Color.Success,
        MembershipState.ExitPending => Color.Warning,
        MembershipState.Left => Color.Default,
        _ => Color.Error,
    };

    public static string YesNo(bool value) => Text.Get(value ? "Common.Yes" : "Common.No");

    /// <summary>A calendar date as the reader's language writes it.</summary>
    public static string Date(DateOnly date) => date.ToString("d", CultureInfo.CurrentCulture);

    public static string Date(DateOnly? date) => date is { } d ? Date(d) : "—";

    public static string Number(long n) => n.ToString("N0", CultureInfo.CurrentCulture);
}

/// <summary>Audit actions as people read them; the action code itself stays in the log, the CSV and the API.</summary>
public static class AuditText
{
    public static string Action(string action)
    {
        var key = $"AuditAction.{action}";
        var text = Text.Get(key);
        return text == key ? action : text;
    }

    /// <summary>Who acted: people by name; the portal's own jobs (recorded by a fixed English name) in the reader's language.</summary>
    public static string Actor(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "—";
        var key = $"AuditActor.{name}";
        return Text.Exists(key) ? Text.Get(key) : name;
    }
}
