using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class HandoverCompletionConfiguration : IEntityTypeConfiguration<HandoverCompletion>
{
    public void Configure(EntityTypeBuilder<HandoverCompletion> b)
    {
        b.HasIndex(h => new { h.ChecklistItemId, h.MemberId }).IsUnique();
        b.HasIndex(h => new { h.OrganisationId, h.MemberId });
    }
}
