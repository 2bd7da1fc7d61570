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
