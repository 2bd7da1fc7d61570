using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class MembershipChangeConfiguration : IEntityTypeConfiguration<MembershipChange>
{
    public void Configure(EntityTypeBuilder<MembershipChange> b)
    {
        b.Property(x => x.Kind).HasMaxLength(32);
        b.HasIndex(x => new { x.MemberId, x.Version }).IsUnique();
        b.HasIndex(x => new { x.OrganisationId, x.ChangedAt });
        b.HasOne<Member>().WithMany().HasForeignKey(x => x.MemberId).OnDelete(DeleteBehavior.Restrict);
    }
}
