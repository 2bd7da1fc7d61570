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

internal sealed class ExitRequestConfiguration : IEntityTypeConfiguration<ExitRequest>
{
    public void Configure(EntityTypeBuilder<ExitRequest> b)
    {
        b.Property(x => x.Version).IsConcurrencyToken();
        b.Property(x => x.Reason).HasMaxLength(TextLimits.Reason);
        b.Property(x => x.ReasonCode).HasMaxLength(6);
        b.Property(x => x.DecisionNote).HasMaxLength(TextLimits.DecisionNote);
        b.Property(x => x.DeviceId).HasMaxLength(TextLimits.DeviceId);
        b.Ignore(x => x.IsOpen);
        b.HasIndex(x => new { x.OrganisationId, x.Status, x.CreatedAt });
        b.HasIndex(x => new { x.ClassId, x.MemberId, x.Status });
        b.HasIndex(x => new { x.OrganisationId, x.MemberId });
        b.HasOne<ClassGroup>().WithMany().HasForeignKey(x => x.ClassId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Member>().WithMany().HasForeignKey(x => x.MemberId).OnDelete(DeleteBehavior.Restrict);
        b.OwnsMany(x => x.Handover, h =>
        {
            h.ToTable("HandoverAssignments");
            h.WithOwner().HasForeignKey(a => a.ExitRequestId);
            h.HasKey(a => a.Id);
        });
        b.Navigation(x => x.Handover).HasField("_handover").UsePropertyAccessMode(PropertyAccessMode.Field);
    }
}
