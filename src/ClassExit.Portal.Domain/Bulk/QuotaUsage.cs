namespace ClassExit.Portal.Domain.Bulk;

/// <summary>Bulk-exit calls used by an organisation on one local calendar day. Incremented atomically in the database.</summary>
public sealed class QuotaUsage : ITenantOwned
{
    private QuotaUsage() { }

    public QuotaUsage(long organisationId, DateOnly day)
    {
        OrganisationId = organisationId;
        Day = day;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public DateOnly Day { get; private set; }
    public int Used { get; private set; }
}
