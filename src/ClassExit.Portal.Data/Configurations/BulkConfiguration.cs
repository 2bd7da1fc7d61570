using ClassExit.Portal.Domain.Bulk;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Organisations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class BatchExitConfiguration : IEntityTypeConfiguration<BatchExit>
{
    public void Configure(EntityTypeBuilder<BatchExit> b)
    {
        b.Property(x => x.ReasonCode).HasMaxLength(6);
        b.Property(x => x.IdempotencyKey).HasMaxLength(TextLimits.IdempotencyKey);
        // Up to 100 class ids and 1,000 member ids with who asked: about 20 KB.
        b.Property(x => x.RequestJson).HasMaxLength(100_000);
        b.HasIndex(x => new { x.OrganisationId, x.StartedAt });
        b.HasOne<Organisation>().WithMany().HasForeignKey(x => x.OrganisationId).OnDelete(DeleteBehavior.Restrict);
    }
}

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

internal sealed class QuotaUsageConfiguration : IEntityTypeConfiguration<QuotaUsage>
{
    public void Configure(EntityTypeBuilder<QuotaUsage> b)
    {
        // One counter per organisation and local day: the atomic increment relies on it.
        b.HasIndex(x => new { x.OrganisationId, x.Day }).IsUnique();
        b.HasOne<Organisation>().WithMany().HasForeignKey(x => x.OrganisationId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class QuotaIncreaseRequestConfiguration : IEntityTypeConfiguration<QuotaIncreaseRequest>
{
    public void Configure(EntityTypeBuilder<QuotaIncreaseRequest> b)
    {
        b.Property(x => x.Reason).HasMaxLength(TextLimits.Reason);
        b.Property(x => x.DecidedBy).HasMaxLength(256);
        b.Property(x => x.DecisionNote).HasMaxLength(TextLimits.DecisionNote);
        b.Property(x => x.Version).IsConcurrencyToken();
        b.HasIndex(x => new { x.Status, x.CreatedAt });
        b.HasOne<Organisation>().WithMany().HasForeignKey(x => x.OrganisationId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class IdempotencyRecordConfiguration : IEntityTypeConfiguration<IdempotencyRecord>
{
    public void Configure(EntityTypeBuilder<IdempotencyRecord> b)
    {
        b.Property(x => x.Key).HasMaxLength(TextLimits.IdempotencyKey);
        b.Property(x => x.BodyHash).HasMaxLength(64);
        b.Property(x => x.ResponseJson).HasMaxLength(1_000_000);
        b.HasIndex(x => new { x.OrganisationId, x.Key }).IsUnique();
        b.HasIndex(x => x.ExpiresAt);
    }
}
