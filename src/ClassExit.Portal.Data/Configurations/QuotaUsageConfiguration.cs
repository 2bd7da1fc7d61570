using ClassExit.Portal.Domain.Bulk;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Organisations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class QuotaUsageConfiguration : IEntityTypeConfiguration<QuotaUsage>
{
    public void Configure(EntityTypeBuilder<QuotaUsage> b)
    {
        // One counter per organisation and local day: the atomic increment relies on it.
        b.HasIndex(x => new { x.OrganisationId, x.Day }).IsUnique();
        b.HasOne<Organisation>().WithMany().HasForeignKey(x => x.OrganisationId).OnDelete(DeleteBehavior.Restrict);
    }
}
