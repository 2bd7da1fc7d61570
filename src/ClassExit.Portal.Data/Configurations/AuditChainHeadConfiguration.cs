using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Ownership;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class AuditChainHeadConfiguration : IEntityTypeConfiguration<AuditChainHead>
{
    public void Configure(EntityTypeBuilder<AuditChainHead> b)
    {
        b.HasKey(x => x.OrganisationId);
        b.Property(x => x.OrganisationId).ValueGeneratedNever();
        b.Property(x => x.LastHash).HasMaxLength(64);
        // Advanced only by AuditSealing's atomic UPDATE in the writing transaction; the token stops any tracked update racing it.
        b.Property(x => x.LastSequence).IsConcurrencyToken();
    }
}
