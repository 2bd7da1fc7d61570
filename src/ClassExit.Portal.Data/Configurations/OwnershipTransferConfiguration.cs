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

internal sealed class OwnershipTransferConfiguration : IEntityTypeConfiguration<OwnershipTransfer>
{
    public void Configure(EntityTypeBuilder<OwnershipTransfer> b)
    {
        b.Property(x => x.Version).IsConcurrencyToken();
        b.Property(x => x.Message).HasMaxLength(TextLimits.TransferMessage);
        b.Property(x => x.DutySelection).HasMaxLength(TextLimits.DutySelection);
        b.Ignore(x => x.IsPending);
        b.HasIndex(x => new { x.OrganisationId, x.Status, x.ExpiresAt });
        b.HasIndex(x => new { x.ClassId, x.Status });
        // Only one pending proposal per class at a time.
        b.HasIndex(x => x.ClassId, "IX_OwnershipTransfers_OnePendingPerClass").IsUnique()
            .HasFilter($"\"Status\" = {(int)TransferStatus.Pending}");
        b.HasOne<ClassGroup>().WithMany().HasForeignKey(x => x.ClassId).OnDelete(DeleteBehavior.Restrict);
    }
}
