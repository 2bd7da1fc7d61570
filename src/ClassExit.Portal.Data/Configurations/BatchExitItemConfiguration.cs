using ClassExit.Portal.Domain.Bulk;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Organisations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class BatchExitItemConfiguration : IEntityTypeConfiguration<BatchExitItem>
{
    public void Configure(EntityTypeBuilder<BatchExitItem> b)
    {
        b.HasIndex(x => new { x.BatchExitId, x.Id });
        // One item per pair of a batch: a resumed background batch finds (and can never duplicate) the pairs already done.
        b.HasIndex(x => new { x.BatchExitId, x.ClassId, x.MemberId }).IsUnique();
        b.HasOne<BatchExit>().WithMany().HasForeignKey(x => x.BatchExitId).OnDelete(DeleteBehavior.Cascade);
    }
}
