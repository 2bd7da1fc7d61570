using ClassExit.Portal.Domain.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> b)
    {
        b.Property(x => x.MessageId).HasMaxLength(64);
        b.Property(x => x.EventKind).HasMaxLength(64);
        b.Property(x => x.LastError).HasMaxLength(WebhookDelivery.MaxErrorLength);
        // The dispatcher's scan: pending rows by due time.
        b.HasIndex(x => new { x.Status, x.NextAttemptAt });
        // The delivery log of one endpoint, newest first; one row per event and endpoint.
        b.HasIndex(x => new { x.EndpointId, x.Id });
        b.HasIndex(x => new { x.EndpointId, x.MessageId }).IsUnique();
        b.HasIndex(x => x.OrganisationId);
        b.HasOne<WebhookEndpoint>().WithMany().HasForeignKey(x => x.EndpointId).OnDelete(DeleteBehavior.Cascade);
    }
}
