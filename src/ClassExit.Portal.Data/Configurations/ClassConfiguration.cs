using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class ClassConfiguration : IEntityTypeConfiguration<ClassGroup>
{
    public void Configure(EntityTypeBuilder<ClassGroup> b)
    {
        b.ToTable("Classes");
        b.Property(c => c.Name).HasMaxLength(200);
        b.Property(c => c.Version).IsConcurrencyToken();
        b.HasIndex(c => new { c.OrganisationId, c.Name });
        b.HasIndex(c => new { c.OrganisationId, c.OwnerMemberId });
        // The classes grid sorted by term end (issue 16).
        b.HasIndex(c => new { c.OrganisationId, c.TermEndsOn });
        // Current members (active or exit pending), kept by the database itself: triggers on Memberships (migration PerfCounts,
        // MemberCounts.cs) adjust it in the same statement as every insert, state change or delete of a membership, so it is right
        // under concurrency and for set-based writes too. Never written by the app (a shadow property); the classes grid sorts on it.
        b.Property<int>(MemberCounts.Column);
        b.HasIndex(nameof(ClassGroup.OrganisationId), MemberCounts.Column);
        b.HasOne<Organisation>().WithMany().HasForeignKey(c => c.OrganisationId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Member>().WithMany().HasForeignKey(c => c.OwnerMemberId).OnDelete(DeleteBehavior.Restrict);
        b.OwnsMany(c => c.Checklist, ci =>
        {
            ci.ToTable("HandoverChecklistItems");
            ci.WithOwner().HasForeignKey(i => i.ClassId);
            ci.HasKey(i => i.Id);
            ci.Property(i => i.Title).HasMaxLength(TextLimits.ChecklistItemTitle);
        });
        b.Navigation(c => c.Checklist).HasField("_checklist").UsePropertyAccessMode(PropertyAccessMode.Field);
    }
}
