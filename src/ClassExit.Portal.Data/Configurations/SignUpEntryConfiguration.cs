using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Limits;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class SignUpEntryConfiguration : IEntityTypeConfiguration<SignUpEntry>
{
    public void Configure(EntityTypeBuilder<SignUpEntry> b)
    {
        b.Property(x => x.Topic).HasMaxLength(200);
        b.HasIndex(x => new { x.ClassId, x.MemberId });
    }
}
