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
