namespace ClassExit.Portal.Domain.Notifications;

/// <summary>
/// The one reminder of a pending exit request, due at a share of its approval SLA (75 %). Sent once; cancelled when the request is
/// decided, withdrawn or superseded before it is due (the reminder job checks the request's state again when it is due).
/// </summary>
public sealed class ApprovalReminder : ITenantOwned
{
    /// <summary>The share of the SLA at which the reminder is due.</summary>
    public const double ShareOfSla = 0.75;

    private ApprovalReminder() { }

    public ApprovalReminder(long organisationId, long exitRequestId, DateTimeOffset dueAt)
    {
        OrganisationId = organisationId;
        ExitRequestId = exitRequestId;
        DueAt = dueAt;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long ExitRequestId { get; private set; }
    public DateTimeOffset DueAt { get; private set; }
    public DateTimeOffset? SentAt { get; private set; }
    public DateTimeOffset? CancelledAt { get; private set; }

    public bool IsOpen => SentAt is null && CancelledAt is null;

    public static DateTimeOffset DueFor(DateTimeOffset requestedAt, int slaHours) => requestedAt + TimeSpan.FromHours(slaHours * ShareOfSla);

    public void MarkSent(DateTimeOffset now) { if (IsOpen) SentAt = now; }

    public void Cancel(DateTimeOffset now) { if (IsOpen) CancelledAt = now; }
}
