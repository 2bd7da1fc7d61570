using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

/// <summary>
/// The Data Protection key ring (ADR 0011): one row per key, its XML encrypted with the certificate when one is configured.
/// The friendly name is the key id ("key-{guid}", 40 characters); the XML stays unbounded (an encrypted key is a few KB).
/// </summary>
internal sealed class DataProtectionConfiguration : IEntityTypeConfiguration<DataProtectionKey>
{
    public void Configure(EntityTypeBuilder<DataProtectionKey> b)
    {
        b.ToTable("DataProtectionKeys");
        b.Property(x => x.FriendlyName).HasMaxLength(100);
        b.Property(x => x.Xml).HasMaxLength(100_000);
    }
}
