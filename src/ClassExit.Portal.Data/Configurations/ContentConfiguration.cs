using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Retention;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ClassExit.Portal.Data.Configurations;

internal sealed class AssignmentConfiguration : IEntityTypeConfiguration<Assignment>
{
    public void Configure(EntityTypeBuilder<Assignment> b)
    {
        b.Property(x => x.Title).HasMaxLength(200);
        b.Ignore(x => x.IsUnfinished);
        b.HasIndex(x => new { x.ClassId, x.ResponsibleMemberId });
        b.HasIndex(x => new { x.ClassId, x.CreatorMemberId });
        b.HasOne<ClassGroup>().WithMany().HasForeignKey(x => x.ClassId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class LiveStreamConfiguration : IEntityTypeConfiguration<LiveStream>
{
    public void Configure(EntityTypeBuilder<LiveStream> b)
    {
        b.Property(x => x.Title).HasMaxLength(200);
        b.Ignore(x => x.IsUnfinished);
        b.HasIndex(x => new { x.ClassId, x.HostMemberId });
        b.HasIndex(x => new { x.ClassId, x.CreatorMemberId });
        b.HasOne<ClassGroup>().WithMany().HasForeignKey(x => x.ClassId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class ChatMessageConfiguration : IEntityTypeConfiguration<ChatMessage>
{
    public void Configure(EntityTypeBuilder<ChatMessage> b)
    {
        b.Property(x => x.Body).HasMaxLength(4000);
        b.HasIndex(x => new { x.ClassId, x.SenderMemberId });
        // The retention purge scans by due date.
        b.HasIndex(x => new { x.OrganisationId, x.PurgeAfter });
        b.HasOne<ClassGroup>().WithMany().HasForeignKey(x => x.ClassId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class MessageReceiptConfiguration : IEntityTypeConfiguration<MessageReceipt>
{
    public void Configure(EntityTypeBuilder<MessageReceipt> b)
    {
        b.HasIndex(x => new { x.ClassId, x.MemberId });
        b.HasIndex(x => new { x.MessageId, x.MemberId }).IsUnique();
        b.HasOne<ChatMessage>().WithMany().HasForeignKey(x => x.MessageId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class AnnouncementConfiguration : IEntityTypeConfiguration<Announcement>
{
    public void Configure(EntityTypeBuilder<Announcement> b)
    {
        b.Property(x => x.Title).HasMaxLength(200);
        b.HasIndex(x => x.ClassId);
        b.HasOne<ClassGroup>().WithMany().HasForeignKey(x => x.ClassId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class HomeworkSubmissionConfiguration : IEntityTypeConfiguration<HomeworkSubmission>
{
    public void Configure(EntityTypeBuilder<HomeworkSubmission> b)
    {
        b.HasIndex(x => new { x.ClassId, x.MemberId });
        b.HasOne<Assignment>().WithMany().HasForeignKey(x => x.AssignmentId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class SharedDocumentConfiguration : IEntityTypeConfiguration<SharedDocument>
{
    public void Configure(EntityTypeBuilder<SharedDocument> b)
    {
        b.Property(x => x.Title).HasMaxLength(200);
        b.HasIndex(x => new { x.ClassId, x.CreatorMemberId });
        b.HasOne<ClassGroup>().WithMany().HasForeignKey(x => x.ClassId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class PollConfiguration : IEntityTypeConfiguration<Poll>
{
    public void Configure(EntityTypeBuilder<Poll> b)
    {
        b.Property(x => x.Title).HasMaxLength(200);
        b.HasIndex(x => new { x.ClassId, x.CreatorMemberId });
        b.HasOne<ClassGroup>().WithMany().HasForeignKey(x => x.ClassId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class LiveReplayConfiguration : IEntityTypeConfiguration<LiveReplay>
{
    public void Configure(EntityTypeBuilder<LiveReplay> b)
    {
        b.Property(x => x.Title).HasMaxLength(200);
        b.HasIndex(x => new { x.ClassId, x.CreatorMemberId });
        b.HasOne<ClassGroup>().WithMany().HasForeignKey(x => x.ClassId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class ReplayGrantConfiguration : IEntityTypeConfiguration<ReplayGrant>
{
    public void Configure(EntityTypeBuilder<ReplayGrant> b)
    {
        b.HasIndex(x => new { x.ReplayId, x.MemberId });
        b.HasOne<LiveReplay>().WithMany().HasForeignKey(x => x.ReplayId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class SignUpEntryConfiguration : IEntityTypeConfiguration<SignUpEntry>
{
    public void Configure(EntityTypeBuilder<SignUpEntry> b)
    {
        b.Property(x => x.Topic).HasMaxLength(200);
        b.HasIndex(x => new { x.ClassId, x.MemberId });
    }
}

internal sealed class PrivateFileTransferConfiguration : IEntityTypeConfiguration<PrivateFileTransfer>
{
    public void Configure(EntityTypeBuilder<PrivateFileTransfer> b)
    {
        b.Property(x => x.FileName).HasMaxLength(260);
        b.HasIndex(x => new { x.OrganisationId, x.RecipientMemberId, x.Saved });
    }
}

internal sealed class LegalHoldConfiguration : IEntityTypeConfiguration<LegalHold>
{
    public void Configure(EntityTypeBuilder<LegalHold> b)
    {
        b.Property(x => x.Reason).HasMaxLength(TextLimits.Reason);
        b.HasIndex(x => new { x.OrganisationId, x.ClassId });
        b.HasIndex(x => new { x.OrganisationId, x.MemberId });
    }
}
