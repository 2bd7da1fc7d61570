using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Organisations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class OrganisationConfiguration : IEntityTypeConfiguration<Organisation>
{
    public void Configure(EntityTypeBuilder<Organisation> b)
    {
        b.Property(o => o.Name).HasMaxLength(200);
        b.Property(o => o.TimeZoneId).HasMaxLength(64);
        b.Ignore(o => o.TimeZone);
        b.ComplexProperty(o => o.Policy, p =>
        {
            p.Property(x => x.MinimumClientVersion).HasMaxLength(TextLimits.ClientVersion);
        });
    }
}

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
