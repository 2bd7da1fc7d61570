using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Retention;
using ClassExit.Portal.Domain.Limits;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class LegalHoldConfiguration : IEntityTypeConfiguration<LegalHold>
{
    public void Configure(EntityTypeBuilder<LegalHold> b)
    {
        b.Property(x => x.Reason).HasMaxLength(TextLimits.Reason);
        b.HasIndex(x => new { x.OrganisationId, x.ClassId });
        b.HasIndex(x => new { x.OrganisationId, x.MemberId });
    }
}
