using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class DeviceConfiguration : IEntityTypeConfiguration<Device>
{
    public void Configure(EntityTypeBuilder<Device> b)
    {
        b.Property(d => d.Id).HasMaxLength(64);
        b.Property(d => d.ClientVersion).HasMaxLength(32);
        b.Property(d => d.MacAddress).HasMaxLength(32);
        b.Ignore(d => d.IsMobile);
        b.HasIndex(d => new { d.OrganisationId, d.MemberId });
        b.HasIndex(d => new { d.OrganisationId, d.IsStale });
        // The sync check scans non-stale devices by network class.
        b.HasIndex(d => new { d.IsStale, d.NetworkClass, d.MemberId });
        b.HasOne<Member>().WithMany().HasForeignKey(d => d.MemberId).OnDelete(DeleteBehavior.Restrict);
    }
}
