using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Limits;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class LiveReplayConfiguration : IEntityTypeConfiguration<LiveReplay>
{
    public void Configure(EntityTypeBuilder<LiveReplay> b)
    {
        b.Property(x => x.Title).HasMaxLength(200);
        b.HasIndex(x => new { x.ClassId, x.CreatorMemberId });
        b.HasOne<ClassGroup>().WithMany().HasForeignKey(x => x.ClassId).OnDelete(DeleteBehavior.Restrict);
    }
}
