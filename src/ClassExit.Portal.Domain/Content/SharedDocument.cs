namespace ClassExit.Portal.Domain.Content;

public enum DocumentEditMode
{
    Editable = 0,
    ReadOnly = 1,
}

/// <summary>A shared document; becomes read-only when its creator leaves.</summary>
public sealed class SharedDocument : ITenantOwned
{
    private SharedDocument() { }

    public SharedDocument(long organisationId, long classId, long creatorMemberId, string title)
    {
        OrganisationId = organisationId;
        ClassId = classId;
        CreatorMemberId = creatorMemberId;
        Title = title;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long ClassId { get; private set; }
    public long CreatorMemberId { get; private set; }
    public string Title { get; private set; } = "";
    public DocumentEditMode EditMode { get; private set; }

    public void MakeReadOnly() => EditMode = DocumentEditMode.ReadOnly;
}
