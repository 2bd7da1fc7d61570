namespace ClassExit.Portal.Domain;

/// <summary>Every row that belongs to exactly one organisation (tenant).</summary>
public interface ITenantOwned
{
    /// <summary>The owning organisation.</summary>
    long OrganisationId { get; }
}
