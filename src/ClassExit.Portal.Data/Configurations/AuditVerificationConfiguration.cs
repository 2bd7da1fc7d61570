using ClassExit.Portal.Domain.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

/// <summary>Where the recurring verification of each chain stands (ADR 0010): one row per chain, organisation 0 included.</summary>
internal sealed class AuditChainVerificationConfiguration : IEntityTypeConfiguration<AuditChainVerification>
{
    public void Configure(EntityTypeBuilder<AuditChainVerification> b)
    {
        b.HasKey(x => x.OrganisationId);
        b.Property(x => x.OrganisationId).ValueGeneratedNever();
        b.Property(x => x.VerifiedHash).HasMaxLength(64);
    }
}
