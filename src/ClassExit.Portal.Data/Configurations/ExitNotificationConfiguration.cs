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

internal sealed class ExitNotificationConfiguration : IEntityTypeConfiguration<ExitNotification>
{
    public void Configure(EntityTypeBuilder<ExitNotification> b)
    {
        b.HasIndex(x => new { x.ClassId, x.CreatedAt });
        b.HasOne<ExitRequest>().WithMany().HasForeignKey(x => x.ExitRequestId).OnDelete(DeleteBehavior.Restrict);
    }
}
