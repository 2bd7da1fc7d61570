namespace ClassExit.Portal.Domain.Members;

/// <summary>The member's role in the organisation (not in a class).</summary>
public enum OrgRole
{
    Member = 0,
    Staff = 1,
    EnterpriseAdmin = 2,
    /// <summary>Super admin: like the class owner, cannot leave directly.</summary>
    SuperAdmin = 3,
}

/// <summary>Where the member stands in leaving the organisation itself.</summary>
public enum ResignationState
{
    None = 0,
    InProgress = 1,
    Completed = 2,
}

/// <summary>A person in the organisation's directory.</summary>
public sealed class Member : ITenantOwned
{
    private Member() { }

    public Member(long organisationId, string displayName, string employeeNo, OrgRole orgRole = OrgRole.Member, string? email = null, string? department = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(displayName);
        OrganisationId = organisationId;
        DisplayName = displayName;
        EmployeeNo = employeeNo;
        OrgRole = orgRole;
        Email = email;
        Department = department;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public string DisplayName { get; private set; } = "";
    public string EmployeeNo { get; private set; } = "";
    public string? Email { get; private set; }
    public string? Department { get; private set; }
    public OrgRole OrgRole { get; private set; }
    /// <summary>May act as <c>operator_id</c> of bulk exits.</summary>
    public bool HasHrPermission { get; private set; }
    public ResignationState Resignation { get; private set; }
    /// <summary>Bumped on every change of the member's class memberships; devices acknowledge it.</summary>
    public long MembershipVersion { get; private set; }
    public DateTimeOffset? MembershipChangedAt { get; private set; }

    public bool IsEnterpriseAdmin => OrgRole is OrgRole.EnterpriseAdmin or OrgRole.SuperAdmin;

    public void GrantHrPermission(bool granted = true) => HasHrPermission = granted;

    /// <summary>
    /// Keeps the directory's role in step with the portal account: an account that becomes an enterprise admin makes the member one
    /// (exit rules, dissolution, retention and escalation read it); one that stops being one makes them staff. A super admin stays one.
    /// </summary>
    public void SetEnterpriseAdmin(bool admin)
    {
        if (OrgRole == OrgRole.SuperAdmin) return;
        if (admin) OrgRole = OrgRole.EnterpriseAdmin;
        else if (OrgRole == OrgRole.EnterpriseAdmin) OrgRole = OrgRole.Staff;
    }

    public void SetResignation(ResignationState state) => Resignation = state;

    /// <summary>Records a membership change that every device of the member must learn.</summary>
    public long BumpMembershipVersion(DateTimeOffset now)
    {
        MembershipVersion++;
        MembershipChangedAt = now;
        return MembershipVersion;
    }
}
