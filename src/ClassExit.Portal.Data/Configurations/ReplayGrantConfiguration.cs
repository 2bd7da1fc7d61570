using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Limits;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class ReplayGrantConfiguration : IEntityTypeConfiguration<ReplayGrant>
{
    public void Configure(EntityTypeBuilder<ReplayGrant> b)
    {
        b.HasIndex(x => new { x.ReplayId, x.MemberId });
        b.HasOne<LiveReplay>().WithMany().HasForeignKey(x => x.ReplayId).OnDelete(DeleteBehavior.Restrict);
    }
}
