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

internal sealed class ExitNotificationConfiguration : IEntityTypeConfiguration<ExitNotification>
{
    public void Configure(EntityTypeBuilder<ExitNotification> b)
    {
        b.HasIndex(x => new { x.ClassId, x.CreatedAt });
        b.HasOne<ExitRequest>().WithMany().HasForeignKey(x => x.ExitRequestId).OnDelete(DeleteBehavior.Restrict);
    }
}

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

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> b)
    {
        b.Property(x => x.Action).HasMaxLength(64);
        b.Property(x => x.ActorUserId).HasMaxLength(64);
        b.Property(x => x.ActorName).HasMaxLength(256);
        b.Property(x => x.TargetType).HasMaxLength(64);
        b.Property(x => x.TargetId).HasMaxLength(64);
        b.Property(x => x.CorrelationId).HasMaxLength(64);
        b.Property(x => x.Details).HasMaxLength(8000);
        b.Property(x => x.PreviousHash).HasMaxLength(64);
        b.Property(x => x.Hash).HasMaxLength(64);
        b.Property(x => x.KeyId).HasMaxLength(32);
        b.HasIndex(x => new { x.OrganisationId, x.Id });
        b.HasIndex(x => new { x.OrganisationId, x.OccurredAt });
        b.HasIndex(x => new { x.OrganisationId, x.Action });
        b.HasIndex(x => new { x.OrganisationId, x.MemberId });
        b.HasIndex(x => new { x.OrganisationId, x.ClassId });
        b.HasIndex(x => new { x.OrganisationId, x.Sequence });
        // Issue 16: the exit request timeline (TargetType, TargetId ordered by Id) and the audit search by actor, newest first.
        // (OrganisationId, MemberId / ClassId / OccurredAt) above end in the row id (SQLite rowid, SQL Server's clustering key).
        b.HasIndex(x => new { x.OrganisationId, x.TargetType, x.TargetId });
        b.HasIndex(x => new { x.OrganisationId, x.ActorMemberId, x.Id });
        b.HasIndex(x => x.Hash);
    }
}

internal sealed class AuditChainHeadConfiguration : IEntityTypeConfiguration<AuditChainHead>
{
    public void Configure(EntityTypeBuilder<AuditChainHead> b)
    {
        b.HasKey(x => x.OrganisationId);
        b.Property(x => x.OrganisationId).ValueGeneratedNever();
        b.Property(x => x.LastHash).HasMaxLength(64);
        // Advanced only by AuditSealing's atomic UPDATE in the writing transaction; the token stops any tracked update racing it.
        b.Property(x => x.LastSequence).IsConcurrencyToken();
    }
}

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
