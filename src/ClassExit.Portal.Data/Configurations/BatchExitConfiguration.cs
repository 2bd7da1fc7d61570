using ClassExit.Portal.Domain.Bulk;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Organisations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class BatchExitConfiguration : IEntityTypeConfiguration<BatchExit>
{
    public void Configure(EntityTypeBuilder<BatchExit> b)
    {
        b.Property(x => x.ReasonCode).HasMaxLength(6);
        b.Property(x => x.IdempotencyKey).HasMaxLength(TextLimits.IdempotencyKey);
        // Up to 100 class ids and 1,000 member ids with who asked: about 20 KB.
        b.Property(x => x.RequestJson).HasMaxLength(100_000);
        b.HasIndex(x => new { x.OrganisationId, x.StartedAt });
        b.HasOne<Organisation>().WithMany().HasForeignKey(x => x.OrganisationId).OnDelete(DeleteBehavior.Restrict);
    }
}
