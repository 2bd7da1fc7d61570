using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class MemberConfiguration : IEntityTypeConfiguration<Member>
{
    public void Configure(EntityTypeBuilder<Member> b)
    {
        b.Property(m => m.DisplayName).HasMaxLength(TextLimits.DisplayName);
        b.Property(m => m.EmployeeNo).HasMaxLength(32);
        b.Property(m => m.Email).HasMaxLength(TextLimits.Email);
        b.Property(m => m.Department).HasMaxLength(100);
        b.Property(m => m.MembershipVersion).IsConcurrencyToken();
        b.Ignore(m => m.IsEnterpriseAdmin);
        b.HasIndex(m => new { m.OrganisationId, m.EmployeeNo }).IsUnique();
        b.HasIndex(m => new { m.OrganisationId, m.DisplayName });
        b.HasOne<Organisation>().WithMany().HasForeignKey(m => m.OrganisationId).OnDelete(DeleteBehavior.Restrict);
    }
}
