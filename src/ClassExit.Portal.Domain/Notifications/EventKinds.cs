namespace ClassExit.Portal.Domain.Notifications;

/// <summary>
/// The catalogue of events the portal tells people and systems about (issue 17), like the error catalogue: one stable name per
/// event, used by in-portal notifications, e-mail, webhooks and preferences. Texts (zh-CN, en) live in the resources under
/// <c>Event.&lt;name&gt;</c>.
/// </summary>
public static class EventKinds
{
    /// <summary>An exit request waits for the recipient's decision (to the approvers of that class).</summary>
    public const string ApprovalNeeded = "exit.approval_needed";
    /// <summary>The approval SLA of a request the recipient may decide is about to run out (e.g. at 75 %).</summary>
    public const string ApprovalReminder = "exit.approval_reminder";
    /// <summary>A request went past its SLA and was escalated to the recipient (the organisation's admins).</summary>
    public const string ApprovalEscalated = "exit.approval_escalated";
    /// <summary>The recipient's own request was approved.</summary>
    public const string ExitApproved = "exit.approved";
    /// <summary>The recipient's own request was rejected.</summary>
    public const string ExitRejected = "exit.rejected";
    /// <summary>A member left a class (the messaging platform's event; carries class, member, kind, silent flag, membership version).</summary>
    public const string MemberExited = "member.exited";
    /// <summary>An ownership transfer was offered to the recipient.</summary>
    public const string TransferOffered = "transfer.offered";
    public const string TransferAccepted = "transfer.accepted";
    public const string TransferDeclined = "transfer.declined";
    public const string TransferExpired = "transfer.expired";
    /// <summary>A bulk exit batch finished (to its HR operator, with counts).</summary>
    public const string BatchFinished = "batch.finished";
    /// <summary>A retention purge run finished (its receipt).</summary>
    public const string PurgeFinished = "purge.finished";
    /// <summary>Someone tried to exit a key class (security, to admins).</summary>
    public const string KeyClassExitAttempt = "security.key_class_exit_attempt";
    /// <summary>Devices stale for over an hour (daily digest to admins).</summary>
    public const string DevicesStale = "devices.stale";
    public const string ApiKeyExpiring = "api_key.expiring";
    public const string ApiKeyRevoked = "api_key.revoked";
    public const string QuotaDecided = "quota.decided";

    /// <summary>Every event kind, in the order the preferences page lists them.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        ApprovalNeeded, ApprovalReminder, ApprovalEscalated, ExitApproved, ExitRejected, MemberExited,
        TransferOffered, TransferAccepted, TransferDeclined, TransferExpired,
        BatchFinished, PurgeFinished, KeyClassExitAttempt, DevicesStale, ApiKeyExpiring, ApiKeyRevoked, QuotaDecided,
    ];

    /// <summary>Security events: admins cannot turn them off.</summary>
    public static bool IsSecurity(string kind) => kind is KeyClassExitAttempt or ApiKeyRevoked;
}
