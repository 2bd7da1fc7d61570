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

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> b)
    {
        b.Property(x => x.Name).HasMaxLength(TextLimits.ApiKeyName);
        b.Property(x => x.KeyHash).HasMaxLength(64);
        b.Property(x => x.Prefix).HasMaxLength(8);
        // Keys created before scopes existed keep every scope (api.md's examples keep working).
        b.Property(x => x.Scopes).HasMaxLength(100).HasDefaultValue("exits:client exits:batch read devices");
        b.Ignore(x => x.IsActive);
        b.HasIndex(x => x.KeyHash).IsUnique();
        b.HasOne<Member>().WithMany().HasForeignKey(x => x.OwnerMemberId).OnDelete(DeleteBehavior.Restrict);
    }
}
