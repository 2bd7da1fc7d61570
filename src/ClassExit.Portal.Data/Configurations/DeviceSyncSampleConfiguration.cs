using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class DeviceSyncSampleConfiguration : IEntityTypeConfiguration<DeviceSyncSample>
{
    public void Configure(EntityTypeBuilder<DeviceSyncSample> b)
    {
        b.Property(x => x.DeviceId).HasMaxLength(64);
        b.HasIndex(x => new { x.OrganisationId, x.AcknowledgedAt });
        b.HasIndex(x => new { x.DeviceId, x.Version });
    }
}
