using ClassExit.Portal.Domain.Notifications;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class EmailOutboxConfiguration : IEntityTypeConfiguration<EmailOutboxMessage>
{
    public void Configure(EntityTypeBuilder<EmailOutboxMessage> b)
    {
        b.ToTable("EmailOutbox");
        b.Property(x => x.UserId).HasMaxLength(450);
        b.Property(x => x.ToAddress).HasMaxLength(256);
        b.Property(x => x.Culture).HasMaxLength(16);
        b.Property(x => x.Kind).HasMaxLength(64);
        b.Property(x => x.Subject).HasMaxLength(300);
        b.Property(x => x.TextBody).HasMaxLength(16000);
        b.Property(x => x.HtmlBody).HasMaxLength(32000);
        b.Property(x => x.Link).HasMaxLength(200);
        b.Property(x => x.LastError).HasMaxLength(400);
        // The sender's query: due messages across organisations.
        b.HasIndex(x => new { x.State, x.NextAttemptAt });
        b.HasIndex(x => new { x.OrganisationId, x.UserId, x.State });
    }
}
