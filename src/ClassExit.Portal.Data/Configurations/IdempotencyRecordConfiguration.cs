using ClassExit.Portal.Domain.Bulk;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Organisations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class IdempotencyRecordConfiguration : IEntityTypeConfiguration<IdempotencyRecord>
{
    public void Configure(EntityTypeBuilder<IdempotencyRecord> b)
    {
        b.Property(x => x.Key).HasMaxLength(TextLimits.IdempotencyKey);
        b.Property(x => x.BodyHash).HasMaxLength(64);
        b.Property(x => x.ResponseJson).HasMaxLength(1_000_000);
        b.HasIndex(x => new { x.OrganisationId, x.Key }).IsUnique();
        b.HasIndex(x => x.ExpiresAt);
    }
}
