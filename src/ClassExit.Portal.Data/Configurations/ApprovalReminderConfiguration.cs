using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Notifications;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class ApprovalReminderConfiguration : IEntityTypeConfiguration<ApprovalReminder>
{
    public void Configure(EntityTypeBuilder<ApprovalReminder> b)
    {
        // One reminder per request, ever.
        b.HasIndex(x => x.ExitRequestId).IsUnique();
        b.HasIndex(x => new { x.SentAt, x.CancelledAt, x.DueAt });
        b.HasOne<ExitRequest>().WithMany().HasForeignKey(x => x.ExitRequestId).OnDelete(DeleteBehavior.Cascade);
    }
}
