using System.Text.RegularExpressions;
using System.Xml.Linq;
using ClassExit.Portal.Domain.Organisations;

namespace ClassExit.Portal.Tests.Features.Localization;

/// <summary>
/// The resource files are the only source of words on screen: both languages carry the same keys, Chinese values are Chinese,
/// every key the code asks for exists, every value of a displayed enum has a label, and no markup carries a literal sentence.
/// </summary>
public partial class ResourceTests
{
    private static readonly string Source = Path.Combine(RepositoryRoot(), "src", "ClassExit.Portal");

    private static Dictionary<string, string> Load(string file) =>
        XDocument.Load(Path.Combine(Source, "Resources", file)).Root!.Elements("data")
            .ToDictionary(d => (string)d.Attribute("name")!, d => (string)d.Element("value")!);

    private static readonly Dictionary<string, string> English = Load("SharedResource.resx");
    private static readonly Dictionary<string, string> Chinese = Load("SharedResource.zh-CN.resx");

    /// <summary>Values that read the same in Chinese: names of platforms and formats.</summary>
    private static readonly HashSet<string> SameInBothLanguages = ["iOS", "macOS", "Android", "Windows PC", "API", "ClassExit.Portal"];

    [Fact]
    public void BothLanguages_HaveTheSameKeys()
    {
        Assert.Empty(English.Keys.Except(Chinese.Keys));
        Assert.Empty(Chinese.Keys.Except(English.Keys));
        Assert.True(English.Count > 600, $"{English.Count} keys");
    }

    [Fact]
    public void ChineseValues_AreChinese()
    {
        var notChinese = Chinese.Where(kv => !CjkRegex().IsMatch(kv.Value) && !SameInBothLanguages.Contains(kv.Value)
                                             && !Regex.IsMatch(kv.Value, "^[\\s\\p{P}\\p{S}\\d{}]*$"))
            .Select(kv => $"{kv.Key}={kv.Value}").ToList();
        Assert.True(notChinese.Count == 0, "Not Chinese: " + string.Join("; ", notChinese));
        // Placeholders survive translation.
        foreach (var (key, en) in English)
        {
            var wanted = Regex.Matches(en, "\\{\\d+\\}").Select(m => m.Value).Order().ToList();
            Assert.True(wanted.SequenceEqual(Regex.Matches(Chinese[key], "\\{\\d+\\}").Select(m => m.Value).Order()), $"{key}: placeholders differ");
        }
    }

    [Fact]
    public void EveryKeyTheCodeAsksFor_Exists()
    {
        var asked = Directory.EnumerateFiles(Source, "*.*", SearchOption.AllDirectories)
            .Where(f => (f.EndsWith(".razor") || f.EndsWith(".cs")) && !f.Contains("/obj/") && !f.Contains("/bin/"))
            .SelectMany(f => KeyRegex().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Key: m.Groups["key"].Value)))
            .ToList();
        Assert.True(asked.Count > 500, $"only {asked.Count} lookups found");
        var missing = asked.Where(a => !English.ContainsKey(a.Key)).Select(a => $"{a.File}: {a.Key}").Distinct().ToList();
        Assert.True(missing.Count == 0, "Missing keys: " + string.Join("; ", missing));
    }

    [Fact]
    public void DisplayedEnums_HaveALabelForEveryValue_AndEveryPolicyFieldAndViolationIsWorded()
    {
        var displayed = typeof(ClassExit.Portal.Domain.ITenantOwned).Assembly.GetTypes()
            .Where(t => t.IsEnum && English.Keys.Any(k => k.StartsWith(t.Name + ".", StringComparison.Ordinal)));
        var missing = displayed.SelectMany(t => Enum.GetNames(t).Select(v => $"{t.Name}.{v}")).Where(k => !English.ContainsKey(k)).ToList();
        Assert.True(missing.Count == 0, "Unlabelled: " + string.Join(", ", missing));
        Assert.NotEmpty(typeof(ExitPolicy).GetProperties());
        Assert.NotEmpty(Enum.GetNames<PolicyViolation>());
        Assert.All(typeof(ExitPolicy).GetProperties(), p => Assert.True(English.ContainsKey($"PolicyField.{p.Name}"), p.Name));
        Assert.All(Enum.GetNames<PolicyViolation>(), v => Assert.True(English.ContainsKey($"PolicyViolation.{v}"), v));
    }

    [Fact]
    public void Markup_CarriesNoLiteralChineseText()
    {
        // Only the language switcher names its language in that language.
        var offenders = Directory.EnumerateFiles(Source, "*.razor", SearchOption.AllDirectories)
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetFileName(f), Line: i + 1, Text: line)))
            .Where(l => CjkRegex().IsMatch(l.Text.Replace("中文", "")))
            .Select(l => $"{l.File}:{l.Line}").ToList();
        Assert.True(offenders.Count == 0, "Literal Chinese in markup: " + string.Join(", ", offenders));
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ClassExit.Portal.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Repository root not found.");
    }

    [GeneratedRegex("[\u4e00-\u9fff]")]
    private static partial Regex CjkRegex();

    // L["Key"], L["Key", …], Text.Get("Key"), Text.Format("Key", …), Text.Exists is a question, not a lookup.
    [GeneratedRegex("(?:\\bL\\[|Text\\.(?:Get|Format)\\()\"(?<key>[A-Za-z][\\w.]*)\"")]
    private static partial Regex KeyRegex();
}
