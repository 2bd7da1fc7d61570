using ClassExit.Portal.Domain.Bulk;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Organisations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class QuotaIncreaseRequestConfiguration : IEntityTypeConfiguration<QuotaIncreaseRequest>
{
    public void Configure(EntityTypeBuilder<QuotaIncreaseRequest> b)
    {
        b.Property(x => x.Reason).HasMaxLength(TextLimits.Reason);
        b.Property(x => x.DecidedBy).HasMaxLength(256);
        b.Property(x => x.DecisionNote).HasMaxLength(TextLimits.DecisionNote);
        b.Property(x => x.Version).IsConcurrencyToken();
        b.HasIndex(x => new { x.Status, x.CreatedAt });
        b.HasOne<Organisation>().WithMany().HasForeignKey(x => x.OrganisationId).OnDelete(DeleteBehavior.Restrict);
    }
}
