using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Limits;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class PrivateFileTransferConfiguration : IEntityTypeConfiguration<PrivateFileTransfer>
{
    public void Configure(EntityTypeBuilder<PrivateFileTransfer> b)
    {
        b.Property(x => x.FileName).HasMaxLength(260);
        b.HasIndex(x => new { x.OrganisationId, x.RecipientMemberId, x.Saved });
    }
}
