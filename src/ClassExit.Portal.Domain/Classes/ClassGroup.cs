namespace ClassExit.Portal.Domain.Classes;

public enum ClassStatus
{
    Active = 0,
    /// <summary>Dissolved: every member has left; the class is read-only.</summary>
    Dissolved = 1,
}

public enum Classification
{
    Normal = 0,
    /// <summary>Key class (defence industry): leaving before resignation completes is forbidden.</summary>
    Key = 1,
    /// <summary>Classified (government): chat kept 3 years whatever the role.</summary>
    Classified = 2,
}

/// <summary>A class (班级): a school class or an enterprise training class.</summary>
public sealed class ClassGroup : ITenantOwned
{
    private readonly List<HandoverChecklistItem> _checklist = [];

    private ClassGroup() { }

    public ClassGroup(long organisationId, string name, long ownerMemberId, DateOnly termEndsOn, DateTimeOffset createdAt,
        Classification classification = Classification.Normal, bool exitLocked = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        OrganisationId = organisationId;
        Name = name;
        OwnerMemberId = ownerMemberId;
        TermEndsOn = termEndsOn;
        CreatedAt = createdAt;
        Classification = classification;
        ExitLocked = exitLocked;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public string Name { get; private set; } = "";
    public ClassStatus Status { get; private set; }
    public Classification Classification { get; private set; }
    /// <summary>The last day of the class's term, in the organisation's calendar.</summary>
    public DateOnly TermEndsOn { get; private set; }
    /// <summary>On the organisation's exit blacklist: nobody may leave.</summary>
    public bool ExitLocked { get; private set; }
    /// <summary>Denormalised from the owner membership; changed only together with it.</summary>
    public long OwnerMemberId { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? DissolvedAt { get; private set; }
    /// <summary>App-managed concurrency token: bumped on every change of ownership or status.</summary>
    public int Version { get; private set; }

    public IReadOnlyList<HandoverChecklistItem> Checklist => _checklist;

    public const int MaxChecklistItems = Limits.TextLimits.ChecklistItems;

    public HandoverChecklistItem AddChecklistItem(string title)
    {
        if (_checklist.Count >= MaxChecklistItems) throw new InvalidOperationException($"A class has at most {MaxChecklistItems} checklist items.");
        var item = new HandoverChecklistItem(title.Trim());
        _checklist.Add(item);
        return item;
    }

    /// <summary>Drops a checklist item; members' completions of it go with it (the caller deletes them).</summary>
    public bool RemoveChecklistItem(long itemId)
    {
        var item = _checklist.FirstOrDefault(i => i.Id == itemId);
        return item is not null && _checklist.Remove(item);
    }

    public void SetExitLocked(bool locked) { ExitLocked = locked; Version++; }

    public void SetClassification(Classification classification) { Classification = classification; Version++; }

    public void SetTermEnd(DateOnly termEndsOn) { TermEndsOn = termEndsOn; Version++; }

    public void Rename(string name) { ArgumentException.ThrowIfNullOrWhiteSpace(name); Name = name; Version++; }

    internal void SetOwner(long memberId) { OwnerMemberId = memberId; Version++; }

    public void Dissolve(DateTimeOffset now)
    {
        if (Status == ClassStatus.Dissolved) throw new InvalidOperationException("The class is already dissolved.");
        Status = ClassStatus.Dissolved;
        DissolvedAt = now;
        Version++;
    }
}

/// <summary>An item members must hand over before leaving the class (e.g. client records in a sales-training class).</summary>
public sealed class HandoverChecklistItem
{
    private HandoverChecklistItem() { }

    internal HandoverChecklistItem(string title)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        if (title.Length > MaxTitleLength) throw new ArgumentException($"A checklist item is at most {MaxTitleLength} characters.", nameof(title));
        Title = title;
    }

    public const int MaxTitleLength = Limits.TextLimits.ChecklistItemTitle;

    public long Id { get; private set; }
    public long ClassId { get; private set; }
    public string Title { get; private set; } = "";
}
