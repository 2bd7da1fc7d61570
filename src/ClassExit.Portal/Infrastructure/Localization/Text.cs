using System.Globalization;
using System.Resources;

namespace ClassExit.Portal.Infrastructure;

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

    /// <summary>The label of a domain value (key <c>Enum.Value</c>), e.g. a duty kind in a service's message.</summary>
    public static string Label<TEnum>(TEnum value) where TEnum : struct, Enum => Get($"{typeof(TEnum).Name}.{value}");

    /// <summary>Whether a key exists in the neutral (English) resources; used by tests.</summary>
    public static bool Exists(string key) => Resources.GetString(key, CultureInfo.InvariantCulture) is not null;
}
