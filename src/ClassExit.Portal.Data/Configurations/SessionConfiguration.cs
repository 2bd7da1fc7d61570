using ClassExit.Portal.Data.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class SessionConfiguration : IEntityTypeConfiguration<PortalSession>
{
    public void Configure(EntityTypeBuilder<PortalSession> b)
    {
        b.Property(x => x.Id).HasMaxLength(32);
        b.Property(x => x.UserId).HasMaxLength(450);
        b.Property(x => x.EndReason).HasMaxLength(40);
        b.Property(x => x.UserAgent).HasMaxLength(200);
        b.Property(x => x.IpAddress).HasMaxLength(45);
        b.HasIndex(x => new { x.UserId, x.RevokedAt });
        b.HasOne<PortalUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
