using ClassExit.Portal.Domain.Notifications;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class NotificationConfiguration : IEntityTypeConfiguration<Notification>
{
    public void Configure(EntityTypeBuilder<Notification> b)
    {
        b.Property(x => x.UserId).HasMaxLength(450);
        b.Property(x => x.Kind).HasMaxLength(64);
        b.Property(x => x.ObjectType).HasMaxLength(64);
        b.Property(x => x.ObjectId).HasMaxLength(64);
        b.Property(x => x.Link).HasMaxLength(200);
        b.Property(x => x.DataJson).HasMaxLength(4000);
        // The bell (unread of one account) and the list (newest first).
        b.HasIndex(x => new { x.OrganisationId, x.UserId, x.ReadAt });
        b.HasIndex(x => new { x.OrganisationId, x.UserId, x.CreatedAt });
    }
}
