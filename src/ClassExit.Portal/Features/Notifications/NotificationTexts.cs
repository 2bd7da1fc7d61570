using System.Globalization;
using System.Resources;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ClassExit.Portal.Features.Notifications;

/// <summary>
/// The words of a notification in one language: <c>Event.&lt;kind&gt;.Name</c> (the preferences page), <c>.Title</c> (bell, list,
/// e-mail subject) and <c>.Body</c> (e-mail), with <c>{snake_case}</c> placeholders filled from the event's data; and the e-mail's
/// HTML and text bodies (templates <c>Email.*</c>).
/// </summary>
public static partial class NotificationTexts
{
    private static readonly ResourceManager Resources = new("ClassExit.Portal.Resources.SharedResource", typeof(SharedResource).Assembly);

    public static CultureInfo CultureOf(string? name) =>
        name is not null && name.StartsWith("en", StringComparison.OrdinalIgnoreCase) ? CultureInfo.GetCultureInfo("en") : CultureInfo.GetCultureInfo("zh-CN");

    public static string Get(string key, CultureInfo culture) => Resources.GetString(key, culture) ?? key;

    public static string Name(string kind, CultureInfo culture) => Get($"Event.{kind}.Name", culture);

    public static string Title(string kind, string dataJson, CultureInfo culture) => Fill(Get($"Event.{kind}.Title", culture), Parse(dataJson));

    public static string Body(string kind, string dataJson, CultureInfo culture) => Fill(Get($"Event.{kind}.Body", culture), Parse(dataJson));

    public static string Serialize(IReadOnlyDictionary<string, object?> data) => JsonSerializer.Serialize(data);

    private static Dictionary<string, string> Parse(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name,
                p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() ?? "" : p.Value.GetRawText());
        }
        catch (JsonException) { return []; }
    }

    private static string Fill(string template, Dictionary<string, string> data) =>
        Placeholder().Replace(template, m => data.TryGetValue(m.Groups[1].Value, out var v) ? v : "");

    [GeneratedRegex(@"\{([a-z_]+)\}")]
    private static partial Regex Placeholder();

    /// <summary>The e-mail of one notification: subject, text body and HTML body, in the recipient's language.</summary>
    public static (string Subject, string Text, string Html) Email(string kind, string dataJson, string link, string? portalUrl, string recipientName,
        CultureInfo culture)
    {
        var subject = Title(kind, dataJson, culture);
        var body = Body(kind, dataJson, culture);
        var url = (portalUrl ?? "").TrimEnd('/') + link;
        var greeting = Fill(Get("Email.Greeting", culture), new() { ["name"] = recipientName });
        var open = Get("Email.Open", culture);
        var footer = Get("Email.Footer", culture);
        var text = new StringBuilder().AppendLine(greeting).AppendLine().AppendLine(body).AppendLine().Append(open).Append(": ").AppendLine(url)
            .AppendLine().AppendLine("-- ").AppendLine(footer).ToString();
        return (subject, text, Html(culture, subject, greeting, [(body, url)], open, footer));
    }

    /// <summary>The daily digest: one e-mail listing several notifications.</summary>
    public static (string Subject, string Text, string Html) Digest(IReadOnlyList<(string Subject, string Link)> items, string? portalUrl,
        string recipientName, CultureInfo culture)
    {
        var subject = Fill(Get("Email.DigestSubject", culture), new() { ["count"] = items.Count.ToString(culture) });
        var greeting = Fill(Get("Email.Greeting", culture), new() { ["name"] = recipientName });
        var open = Get("Email.Open", culture);
        var footer = Get("Email.Footer", culture);
        var lines = items.Select(i => (i.Subject, (portalUrl ?? "").TrimEnd('/') + i.Link)).ToList();
        var text = new StringBuilder().AppendLine(greeting).AppendLine();
        foreach (var (s, url) in lines) text.Append("- ").Append(s).Append(": ").AppendLine(url);
        text.AppendLine().AppendLine("-- ").AppendLine(footer);
        return (subject, text.ToString(), Html(culture, subject, greeting, lines, open, footer));
    }

    private static string Html(CultureInfo culture, string subject, string greeting, IReadOnlyList<(string Text, string Url)> items, string open, string footer)
    {
        var h = HtmlEncoder.Default;
        var html = new StringBuilder()
            .Append("<!DOCTYPE html><html lang=\"").Append(h.Encode(culture.Name)).Append("\"><head><meta charset=\"utf-8\"><title>")
            .Append(h.Encode(subject)).Append("</title></head><body style=\"font-family:system-ui,sans-serif;color:#1f1f1f\">")
            .Append("<p>").Append(h.Encode(greeting)).Append("</p>");
        foreach (var (t, url) in items)
            html.Append("<p>").Append(h.Encode(t)).Append("<br><a href=\"").Append(h.Encode(url)).Append("\">").Append(h.Encode(open)).Append("</a></p>");
        return html.Append("<hr><p style=\"font-size:12px;color:#555\">").Append(h.Encode(footer)).Append("</p></body></html>").ToString();
    }
}
