using ClassExit.Portal.Data.Identity;
using Microsoft.AspNetCore.Identity;

namespace ClassExit.Portal.Infrastructure.Identity;

/// <summary>
/// Refuses passwords from the list of common passwords shipped with the portal (Resources/common-passwords.txt, see NOTICE.md),
/// without regard to case, also when only trailing symbols were added to meet the character rules ("Password123!").
/// The password itself is never logged or shown.
/// </summary>
public sealed class CommonPasswordValidator : IPasswordValidator<PortalUser>
{
    public const string ErrorCode = "CommonPassword";

    private static readonly Lazy<HashSet<string>> List = new(Load);

    public static bool IsCommon(string password)
    {
        var set = List.Value;
        var trimmed = password.Trim();
        if (set.Contains(trimmed)) return true;
        var withoutTrailingSymbols = trimmed.TrimEnd(c => !char.IsLetterOrDigit(c));
        return withoutTrailingSymbols.Length > 0 && set.Contains(withoutTrailingSymbols);
    }

    public Task<IdentityResult> ValidateAsync(UserManager<PortalUser> manager, PortalUser user, string? password) =>
        Task.FromResult(password is not null && IsCommon(password)
            ? IdentityResult.Failed(new IdentityError
            {
                Code = ErrorCode,
                Description = Text.Format($"IdentityError.{ErrorCode}"),
            })
            : IdentityResult.Success);

    /// <summary>How many passwords the list holds (for tests and the README).</summary>
    public static int Count => List.Value.Count;

    private static HashSet<string> Load()
    {
        using var stream = typeof(CommonPasswordValidator).Assembly.GetManifestResourceStream("ClassExit.Portal.common-passwords.txt")
                           ?? throw new InvalidOperationException("The common password list is not embedded in the portal.");
        using var reader = new StreamReader(stream);
        var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#') continue;
            set.Add(line.Trim());
        }
        return set;
    }
}

internal static class StringTrimExtensions
{
    public static string TrimEnd(this string value, Func<char, bool> trim)
    {
        var end = value.Length;
        while (end > 0 && trim(value[end - 1])) end--;
        return value[..end];
    }
}
