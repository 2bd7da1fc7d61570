using ClassExit.Portal.Domain.Errors;

namespace ClassExit.Portal.Components.Shared;

/// <summary>Catalogue messages as the portal shows them: Chinese, English and the remedy.</summary>
public static class ErrorText
{
    public static string Message(int code)
    {
        var d = ErrorCatalogue.Get(code);
        return $"{d.MessageZh} {d.MessageEn}";
    }

    public static string Remedy(int code)
    {
        var d = ErrorCatalogue.Get(code);
        return $"{d.RemedyZh} {d.RemedyEn}";
    }

    /// <summary>One line for a snackbar: code, message, remedy.</summary>
    public static string Line(int code) => $"[{code}] {Message(code)} — {Remedy(code)}";
}
