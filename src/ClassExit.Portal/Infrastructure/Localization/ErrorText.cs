using ClassExit.Portal.Domain.Errors;

namespace ClassExit.Portal.Infrastructure;

/// <summary>
/// Catalogue messages as the portal shows them, in the reader's language. The catalogue carries both languages itself (the API
/// answers with both), so the portal picks one instead of copying the catalogue into resource files.
/// </summary>
public static class ErrorText
{
    public static string Message(int code)
    {
        var d = ErrorCatalogue.Get(code);
        return PortalLocalization.IsChinese ? d.MessageZh : d.MessageEn;
    }

    public static string Remedy(int code)
    {
        var d = ErrorCatalogue.Get(code);
        return PortalLocalization.IsChinese ? d.RemedyZh : d.RemedyEn;
    }

    /// <summary>One line for a snackbar: code, message, remedy.</summary>
    public static string Line(int code) => $"[{code}] {Message(code)} — {Remedy(code)}";
}
