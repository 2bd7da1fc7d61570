using System.Globalization;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Infrastructure;
using MudBlazor;

namespace ClassExit.Portal.Components.Shared;

/// <summary>Display labels for domain values, in the reader's language (keys <c>Enum.Value</c> in the resources).</summary>
public static class Labels
{
    public static string Of<TEnum>(TEnum value) where TEnum : struct, Enum => Text.Label(value);

    public static Color ColorOf(MembershipState state) => state switch
    {
        MembershipState.Active => Color.Success,
        MembershipState.ExitPending => Color.Warning,
        MembershipState.Left => Color.Default,
        _ => Color.Error,
    };

    /// <summary>One colour per exit status (the label says it too, so colour is never the only cue).</summary>
    public static Color ColorOf(ExitRequestStatus status) => status switch
    {
        ExitRequestStatus.PendingApproval => Color.Warning,
        ExitRequestStatus.Approved => Color.Info,
        ExitRequestStatus.Rejected => Color.Error,
        ExitRequestStatus.Completed => Color.Success,
        ExitRequestStatus.Failed => Color.Dark,
        _ => Color.Default,
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
