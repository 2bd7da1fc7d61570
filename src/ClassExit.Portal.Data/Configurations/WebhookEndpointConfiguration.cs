using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class WebhookEndpointConfiguration : IEntityTypeConfiguration<WebhookEndpoint>
{
    public void Configure(EntityTypeBuilder<WebhookEndpoint> b)
    {
        b.Property(x => x.Url).HasMaxLength(TextLimits.WebhookUrl);
        b.Property(x => x.EventKinds).HasMaxLength(1000);
        b.Property(x => x.ProtectedSecret).HasMaxLength(1000);
        b.Property(x => x.DisabledReason).HasMaxLength(200);
        b.Property(x => x.CreatedByUserId).HasMaxLength(450);
        b.Ignore(x => x.Kinds);
        b.HasIndex(x => x.OrganisationId);
    }
}
