namespace ClassExit.Portal.Domain.Exits.Policy;

/// <summary>A dotted numeric client version (3.1.10), compared part by part: 3.1.9 &lt; 3.1.10 &lt; 3.10.0.</summary>
public readonly record struct ClientVersion(int Major, int Minor, int Patch) : IComparable<ClientVersion>
{
    /// <summary>Parses <c>3.1.10</c>; clients may send <c>3.2</c> (patch 0) unless <paramref name="requirePatch"/> asks for all three numbers.</summary>
    public static bool TryParse(string? text, out ClientVersion version, bool requirePatch = false)
    {
        version = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var parts = text.Trim().Split('.');
        if (parts.Length is < 2 or > 3 || (requirePatch && parts.Length != 3)) return false;
        var numbers = new int[3];
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].Length is 0 or > 6 || !parts[i].All(char.IsAsciiDigit)) return false;
            numbers[i] = int.Parse(parts[i], System.Globalization.CultureInfo.InvariantCulture);
        }
        version = new ClientVersion(numbers[0], numbers[1], numbers[2]);
        return true;
    }

    public static ClientVersion Parse(string text) =>
        TryParse(text, out var v) ? v : throw new FormatException($"'{text}' is not a version like 3.1.10.");

    public int CompareTo(ClientVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major) : Minor != other.Minor ? Minor.CompareTo(other.Minor) : Patch.CompareTo(other.Patch);

    public static bool operator <(ClientVersion a, ClientVersion b) => a.CompareTo(b) < 0;
    public static bool operator >(ClientVersion a, ClientVersion b) => a.CompareTo(b) > 0;
    public static bool operator <=(ClientVersion a, ClientVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >=(ClientVersion a, ClientVersion b) => a.CompareTo(b) >= 0;

    public override string ToString() => $"{Major}.{Minor}.{Patch}";
}
