namespace ClassExit.Portal.Domain.Limits;

/// <summary>
/// The one maximum of every free-text input and list (issue 15; the table is docs/limits.md). The same constant is the column's
/// <c>HasMaxLength</c> in the EF configuration, the service's check (a longer value is refused with 40003, audited; nothing is cut
/// or stored) and the field's <c>MaxLength</c>/<c>Counter</c> in the page. Lengths are counted in UTF-16 code units, as
/// <see cref="string.Length"/>, SQL Server's <c>nvarchar(n)</c> and the browser's <c>maxlength</c> count them, after trimming.
/// </summary>
public static class TextLimits
{
    /// <summary>Reasons: force-removal, exit rejection, dissolution, forced transfer, legal hold, quota request, departed-history search.</summary>
    public const int Reason = 500;

    /// <summary>A decision note (quota increase decision, exit decision).</summary>
    public const int DecisionNote = 500;

    /// <summary>The message that comes with an ownership transfer offer.</summary>
    public const int TransferMessage = 500;

    public const int ApiKeyName = 100;

    /// <summary>A webhook endpoint's URL.</summary>
    public const int WebhookUrl = 2000;

    public const int ReasonCodeLabel = 200;

    /// <summary>A person's display name (portal account, member).</summary>
    public const int DisplayName = 100;

    public const int Email = 256;

    public const int ChecklistItemTitle = 200;

    /// <summary>Search boxes: a longer search is cut to this (a read changes nothing, so there is nothing to refuse).</summary>
    public const int Search = 100;

    /// <summary>The text searched for in a departed member's history.</summary>
    public const int HistorySearchText = 100;

    /// <summary>The organisation policy's minimum client version (e.g. 3.1.10).</summary>
    public const int ClientVersion = 32;

    public const int DeviceId = 64;

    public const int IdempotencyKey = 200;

    // Lists.

    /// <summary>Webhook endpoints of one organisation.</summary>
    public const int WebhookEndpoints = 20;

    /// <summary>Checklist items of one class.</summary>
    public const int ChecklistItems = 20;

    /// <summary>Handover lines of one exit (each duty the leaver hands to someone).</summary>
    public const int HandoverItems = 200;

    /// <summary>Duties handed over with one ownership transfer, as stored ("kind:id" pairs, comma separated), in characters.</summary>
    public const int DutySelection = 2000;

    /// <summary>A batch exit's class ids and member ids (api.md).</summary>
    public const int BatchClasses = 100;

    public const int BatchMembers = 1000;

    /// <summary>Is <paramref name="value"/>, trimmed, longer than <paramref name="max"/>? Null is never too long.</summary>
    public static bool Exceeds(string? value, int max) => value is not null && value.AsSpan().Trim().Length > max;

    /// <summary><paramref name="value"/> trimmed and cut to <paramref name="max"/> (for search boxes).</summary>
    public static string? Cut(string? value, int max)
    {
        var trimmed = value?.Trim();
        return trimmed is { Length: > 0 } t && t.Length > max ? t[..max] : trimmed;
    }
}
