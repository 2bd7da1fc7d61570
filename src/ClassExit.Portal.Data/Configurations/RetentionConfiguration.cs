using ClassExit.Portal.Domain.Retention;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class RetentionRunConfiguration : IEntityTypeConfiguration<RetentionRun>
{
    public void Configure(EntityTypeBuilder<RetentionRun> b)
    {
        b.Property(x => x.Trigger).HasMaxLength(32);
        b.Property(x => x.IdsDigest).HasMaxLength(64);
        b.HasIndex(x => new { x.OrganisationId, x.StartedAt });
        b.HasIndex(x => x.State);
    }
}
