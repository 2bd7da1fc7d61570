using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class MembershipConfiguration : IEntityTypeConfiguration<Membership>
{
    public void Configure(EntityTypeBuilder<Membership> b)
    {
        // SQL Server: EF must not use a bare OUTPUT clause on a table with triggers (MemberCounts).
        b.ToTable(t => t.HasTrigger(MemberCounts.SqlServerTrigger));
        b.Property(m => m.Version).IsConcurrencyToken();
        b.Ignore(m => m.IsCurrent);
        b.HasIndex(m => new { m.ClassId, m.MemberId }).IsUnique();
        b.HasIndex(m => new { m.OrganisationId, m.MemberId, m.State });
        b.HasIndex(m => new { m.ClassId, m.State, m.Role });
        // Never two owners: at most one current owner membership per class, enforced by the database.
        // (At least one is the domain's job: ownership only moves through OwnershipRules.)
        b.HasIndex(m => m.ClassId, "IX_Memberships_OneOwnerPerClass").IsUnique()
            .HasFilter($"{Q("Role")} = {(int)ClassRole.Owner} AND {Q("State")} IN ({(int)MembershipState.Active}, {(int)MembershipState.ExitPending})");
        b.HasOne<ClassGroup>().WithMany().HasForeignKey(m => m.ClassId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Member>().WithMany().HasForeignKey(m => m.MemberId).OnDelete(DeleteBehavior.Restrict);
    }

    // Double quotes are standard SQL identifiers: SQLite reads them, and SQL Server with QUOTED_IDENTIFIER ON
    // (which filtered indexes require anyway).
    private static string Q(string column) => $"\"{column}\"";
}
