using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Organisations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class ReasonCodeConfiguration : IEntityTypeConfiguration<ReasonCode>
{
    public void Configure(EntityTypeBuilder<ReasonCode> b)
    {
        b.Property(r => r.Code).HasMaxLength(6);
        b.Property(r => r.Label).HasMaxLength(TextLimits.ReasonCodeLabel);
        b.HasIndex(r => new { r.OrganisationId, r.Code }).IsUnique();
        b.HasOne<Organisation>().WithMany().HasForeignKey(r => r.OrganisationId).OnDelete(DeleteBehavior.Restrict);
    }
}
