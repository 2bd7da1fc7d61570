using System.Text.RegularExpressions;

namespace ClassExit.Portal.Tests.Shared;

/// <summary>
/// What counts as English left in a Chinese page, for the every-page tests (prerendered HTML) and the Chromium walk: Latin words of three
/// letters or more, leaving out proper names and abbreviations, e-mail addresses (sign-ins are data), dotted codes such as <c>exit.</c>
/// and API field names such as <c>operator_id</c>. Codes in <c>&lt;code&gt;</c> and names marked <c>translate="no"</c> are removed by the
/// caller, which knows the page's form (HTML text or DOM).
/// </summary>
public static partial class ReadableText
{
    private static readonly HashSet<string> Allowed = new(StringComparer.OrdinalIgnoreCase)
    {
        "ClassExit", "Portal", "Demo", "School", "Finance", "Asia", "Shanghai", "English", "HR", "API", "CSV", "SLA", "MAC", "AES",
        "iOS", "macOS", "Android", "Windows", "Excel", "Ctrl", "WXWork", "appdata", "zip", "SHA", "JSON", "UTC", "Webhook", "Webhooks", "https", "http",
    };

    public static List<string> EnglishWords(string text)
    {
        text = EmailRegex().Replace(text, " ");
        text = CodeRegex().Replace(text, " ");
        return WordRegex().Matches(text).Select(m => m.Value).Where(w => !Allowed.Contains(w)).Distinct().ToList();
    }

    /// <summary>Where a word stands, for a failure message.</summary>
    public static string Context(string text, string word)
    {
        var i = Regex.Match(text, "(?<![A-Za-z])" + Regex.Escape(word) + "(?![A-Za-z])").Index;
        var start = Math.Max(0, i - 40);
        return Regex.Replace(text.Substring(start, Math.Min(80, text.Length - start)), "\\s+", " ");
    }

    public static string Describe(string text, IEnumerable<string> words) => string.Join(", ", words.Select(w => $"{w} «{Context(text, w)}»"));

    [GeneratedRegex("[\\w.+-]+@[\\w-]+(\\.[\\w-]+)+")]
    private static partial Regex EmailRegex();

    [GeneratedRegex("\\b[a-z_]+(\\.[a-z_]+)*\\.(?=\\s|$)|\\b[a-z_]+(\\.[a-z_]+)+\\b|\\b[a-z]+_[a-z_]+\\b")]
    private static partial Regex CodeRegex();

    [GeneratedRegex("[A-Za-z]{3,}")]
    private static partial Regex WordRegex();
}
