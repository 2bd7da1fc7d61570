using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Errors;

namespace ClassExit.Portal.Domain.Tests.Access;

/// <summary>
/// <see cref="AccessRules"/> pinned down as ADR 0006's table: every <see cref="PortalAction"/> × every portal role (and API keys with and
/// without the scope) on a neutral target, then separation of duties, transfers and the approver pool. The expectations are written
/// out here, not derived from the rules under test.
/// </summary>
public class AccessRulesTests
{
    private const long Me = 100;
    private const long Subject = 200;
    private const long Requester = 300;
    private const long Addressee = 400;
    private const long GivingOwner = 500;
    private const long ClassId = 7;

    private static readonly int? Ok = null;
    private const int No = ErrorCatalogue.Forbidden;
    private const int NotYours = ErrorCatalogue.TransferNotAddressedToYou;

    /// <summary>The columns of <see cref="Expected"/>, in order.</summary>
    private static readonly (string Name, PortalRole Roles, ClassRole? ClassRole)[] Personas =
    [
        ("enterprise admin", PortalRole.EnterpriseAdmin, null),
        ("HR operator", PortalRole.HrOperator, null),
        ("staff, owner", PortalRole.SchoolStaff, ClassRole.Owner),
        ("staff, class admin", PortalRole.SchoolStaff, ClassRole.ClassAdmin),
        ("staff, teacher", PortalRole.SchoolStaff, ClassRole.Teacher),
        ("staff, student", PortalRole.SchoolStaff, ClassRole.Student),
        ("staff, no role in the class", PortalRole.SchoolStaff, null),
        ("auditor", PortalRole.Auditor, null),
        ("platform operator", PortalRole.PlatformOperator, null),
        ("no role", PortalRole.None, null),
    ];

    /// <summary>
    /// Who may do what on a class and a member that are not the actor's own business: the subject, requester, addressee and giving owner
    /// are all other people, so nothing is the actor's own exit or a transfer addressed to them.
    /// </summary>
    private static readonly Dictionary<PortalAction, int?[]> Expected = new()
    {
        //                                       admin  HR     owner  cl.adm teacher stud.  norole audit. platf. none
        [PortalAction.StartExit] =               [Ok,   No,    Ok,    Ok,    No,     No,    No,    No,    No,    No],
        [PortalAction.ClientExit] =              [No,   No,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.ForceRemove] =             [Ok,   No,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.DecideExit] =              [Ok,   No,    Ok,    Ok,    Ok,     No,    No,    No,    No,    No],
        [PortalAction.RunBatch] =                [No,   Ok,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.ProposeTransfer] =         [Ok,   No,    Ok,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.AnswerTransfer] =          [NotYours, NotYours, NotYours, NotYours, NotYours, NotYours, NotYours, NotYours, NotYours, NotYours],
        [PortalAction.CancelTransfer] =          [Ok,   No,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.ForceTransfer] =           [Ok,   No,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.Dissolve] =                [Ok,   No,    Ok,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.ManageReplayGrants] =      [Ok,   No,    Ok,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.CompleteChecklist] =       [Ok,   No,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.EditChecklist] =           [Ok,   No,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.EditPolicy] =              [Ok,   No,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.EditClassPolicy] =         [Ok,   No,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.BindDevice] =              [Ok,   No,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.ResetMemberState] =        [Ok,   No,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.RequestResync] =           [Ok,   No,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.AcknowledgeSync] =         [No,   No,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.ManageLegalHolds] =        [Ok,   No,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.RunPurge] =                [Ok,   No,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.ExportMessages] =          [Ok,   No,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.SearchDepartedHistory] =   [Ok,   No,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.ExportAudit] =             [Ok,   No,    No,    No,    No,     No,    No,    Ok,    No,    No],
        [PortalAction.VerifyAuditChain] =        [Ok,   No,    No,    No,    No,     No,    No,    Ok,    No,    No],
        [PortalAction.ManageApiKeys] =           [Ok,   Ok,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.ManageWebhooks] =          [Ok,   No,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.ManageReasonCodes] =       [Ok,   Ok,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.RequestQuota] =            [Ok,   Ok,    No,    No,    No,     No,    No,    No,    No,    No],
        [PortalAction.DecideQuota] =             [No,   No,    No,    No,    No,     No,    No,    No,    Ok,    No],
        [PortalAction.ManageUsers] =             [Ok,   No,    No,    No,    No,     No,    No,    No,    No,    No],
    };

    /// <summary>The scope an API key needs, for the actions only API keys take; every other action is refused to every key.</summary>
    private static readonly Dictionary<PortalAction, string> KeyScope = new()
    {
        [PortalAction.ClientExit] = ApiScopes.ClientExits,
        [PortalAction.RunBatch] = ApiScopes.BatchExits,
        [PortalAction.AcknowledgeSync] = ApiScopes.Devices,
    };

    public static TheoryData<PortalAction> EveryAction() => new(Enum.GetValues<PortalAction>());

    private static AccessTarget Neutral(ClassRole? role) =>
        new(ClassId, role, SubjectMemberId: Subject, RequestedByMemberId: Requester, AddresseeMemberId: Addressee, FromMemberId: GivingOwner);

    private static AccessActor Key(IEnumerable<string> scopes) => new(PortalRole.None, Me, scopes.ToHashSet());

    [Fact]
    public void Table_HasExactlyOneRowPerAction()
    {
        var actions = Enum.GetValues<PortalAction>();
        Assert.NotEmpty(actions);
        var missing = actions.Where(a => !Expected.ContainsKey(a)).ToList();
        Assert.True(missing.Count == 0, $"No expectation for: {string.Join(", ", missing)}. Add a row to the table (and to ADR 0006).");
        Assert.Equal(actions.Length, Expected.Count);
        Assert.All(Expected, row => Assert.Equal(Personas.Length, row.Value.Length));
    }

    [Theory]
    [MemberData(nameof(EveryAction))]
    public void Decide_EveryPortalRole_AsTheTableSays(PortalAction action)
    {
        Assert.True(Expected.TryGetValue(action, out var row), $"{action} has no row in the table");
        var wrong = new List<string>();
        for (var i = 0; i < Personas.Length; i++)
        {
            var (name, roles, classRole) = Personas[i];
            var decision = AccessRules.Decide(new AccessActor(roles, Me), action, Neutral(classRole));
            if (decision.Code != row![i]) wrong.Add($"{name}: expected {row[i]?.ToString() ?? "allowed"}, got {decision.Code?.ToString() ?? "allowed"}");
            Assert.Equal(decision.Code is null, decision.Allowed);
        }
        Assert.True(wrong.Count == 0, $"{action}: {string.Join("; ", wrong)}");
    }

    [Theory]
    [MemberData(nameof(EveryAction))]
    public void Decide_ApiKey_OnlyWithTheActionsScope(PortalAction action)
    {
        var everyScope = Key(ApiScopes.All);
        if (KeyScope.TryGetValue(action, out var scope))
        {
            Assert.True(AccessRules.Decide(everyScope, action, Neutral(null)).Allowed);
            Assert.True(AccessRules.Decide(Key([scope]), action, Neutral(null)).Allowed);
            Assert.Equal(No, AccessRules.Decide(Key(ApiScopes.All.Where(s => s != scope)), action, Neutral(null)).Code);
            Assert.Equal(No, AccessRules.Decide(new AccessActor(PortalRole.None, Me, new HashSet<string>()), action, Neutral(null)).Code);
            Assert.Equal(scope, AccessRules.RequiredScope(action));
        }
        else
        {
            // Keys never act as portal accounts, whatever they carry, even on a class where the key's owner is the owner.
            Assert.Equal(No, AccessRules.Decide(everyScope, action, Neutral(null)).Code);
            Assert.Equal(No, AccessRules.Decide(everyScope, action, Neutral(ClassRole.Owner)).Code);
            Assert.Null(AccessRules.RequiredScope(action));
        }
    }

    [Theory]
    [InlineData(PortalRole.HrOperator, ClassRole.Owner)]
    [InlineData(PortalRole.Auditor, ClassRole.Owner)]
    [InlineData(PortalRole.PlatformOperator, ClassRole.ClassAdmin)]
    [InlineData(PortalRole.None, ClassRole.Teacher)]
    public void Decide_ClassRoleWithoutSchoolStaffRole_GivesNoClassPower(PortalRole roles, ClassRole classRole)
    {
        var actor = new AccessActor(roles, Me);
        foreach (var action in new[] { PortalAction.StartExit, PortalAction.DecideExit, PortalAction.ProposeTransfer, PortalAction.Dissolve, PortalAction.ManageReplayGrants })
            Assert.Equal(No, AccessRules.Decide(actor, action, Neutral(classRole)).Code);
    }

    [Theory]
    [InlineData(ClassRole.Teacher)]
    [InlineData(ClassRole.Student)]
    [InlineData(ClassRole.ClassAdmin)]
    public void StartExit_OwnExitFromAClassTheyAreIn_Allowed(ClassRole role)
    {
        var target = new AccessTarget(ClassId, role, SubjectMemberId: Me);
        Assert.True(AccessRules.Decide(new AccessActor(PortalRole.SchoolStaff, Me), PortalAction.StartExit, target).Allowed);
    }

    [Fact]
    public void StartExit_OwnExitFromAClassTheyAreNotIn_Refused()
    {
        var target = new AccessTarget(ClassId, null, SubjectMemberId: Me);
        Assert.Equal(No, AccessRules.Decide(new AccessActor(PortalRole.SchoolStaff, Me), PortalAction.StartExit, target).Code);
        // Without a member there is no "own" exit.
        Assert.Equal(No, AccessRules.Decide(new AccessActor(PortalRole.SchoolStaff, null), PortalAction.StartExit, new AccessTarget(ClassId, ClassRole.Teacher)).Code);
    }

    public static TheoryData<PortalRole, ClassRole?> Deciders() => new()
    {
        { PortalRole.EnterpriseAdmin, null },
        { PortalRole.EnterpriseAdmin, ClassRole.Teacher },
        { PortalRole.SchoolStaff, ClassRole.Owner },
        { PortalRole.SchoolStaff, ClassRole.ClassAdmin },
        { PortalRole.SchoolStaff, ClassRole.Teacher },
    };

    [Theory]
    [MemberData(nameof(Deciders))]
    public void DecideExit_SomeoneElsesRequestOfAnotherMember_Allowed(PortalRole roles, ClassRole? classRole) =>
        Assert.True(AccessRules.Decide(new AccessActor(roles, Me), PortalAction.DecideExit, Neutral(classRole)).Allowed);

    [Theory]
    [MemberData(nameof(Deciders))]
    public void DecideExit_TheirOwnExit_Refused50402(PortalRole roles, ClassRole? classRole)
    {
        var actor = new AccessActor(roles, Me);
        Assert.Equal(ErrorCatalogue.SelfApproval, AccessRules.Decide(actor, PortalAction.DecideExit, Neutral(classRole) with { SubjectMemberId = Me }).Code);
        // Their own self-exit: they are both subject and requester; the subject rule speaks.
        Assert.Equal(ErrorCatalogue.SelfApproval,
            AccessRules.Decide(actor, PortalAction.DecideExit, Neutral(classRole) with { SubjectMemberId = Me, RequestedByMemberId = Me }).Code);
    }

    [Theory]
    [MemberData(nameof(Deciders))]
    public void DecideExit_ARequestTheyStarted_Refused50406(PortalRole roles, ClassRole? classRole) =>
        Assert.Equal(ErrorCatalogue.RequesterCannotDecide,
            AccessRules.Decide(new AccessActor(roles, Me), PortalAction.DecideExit, Neutral(classRole) with { RequestedByMemberId = Me }).Code);

    [Fact]
    public void DecideExit_EnterpriseAdminWhoRequested_Refused50406()
    {
        // The breach of issue 13: an admin starts an exit for a student and approves it themselves.
        var admin = new AccessActor(PortalRole.EnterpriseAdmin, Me);
        var request = new AccessTarget(ClassId, null, SubjectMemberId: Subject, RequestedByMemberId: Me);
        Assert.Equal(ErrorCatalogue.RequesterCannotDecide, AccessRules.Decide(admin, PortalAction.DecideExit, request).Code);
        Assert.True(AccessRules.Decide(new AccessActor(PortalRole.EnterpriseAdmin, Me + 1), PortalAction.DecideExit, request).Allowed);
    }

    [Theory]
    [MemberData(nameof(Deciders))]
    public void DecideExit_WhileLeavingThatClass_Refused50407(PortalRole roles, ClassRole? classRole) =>
        Assert.Equal(ErrorCatalogue.DeciderLeavingClass,
            AccessRules.Decide(new AccessActor(roles, Me), PortalAction.DecideExit, Neutral(classRole) with { ActorLeavingClass = true }).Code);

    [Fact]
    public void DecideExit_NotAnApprover_Refused40302BeforeSeparationOfDuties()
    {
        // A student of the class who is the subject is not told "not your own": they may not decide at all.
        var student = new AccessActor(PortalRole.SchoolStaff, Me);
        Assert.Equal(No, AccessRules.Decide(student, PortalAction.DecideExit, Neutral(ClassRole.Student) with { SubjectMemberId = Me }).Code);
        Assert.Equal(No, AccessRules.Decide(new AccessActor(PortalRole.HrOperator, Me), PortalAction.DecideExit, Neutral(null) with { RequestedByMemberId = Me }).Code);
    }

    [Fact]
    public void DecideExit_AdminWithoutAMember_Refused40302()
    {
        // Separation of duties needs to know who decides; an account without a member cannot be told apart from the requester.
        Assert.Equal(No, AccessRules.Decide(new AccessActor(PortalRole.EnterpriseAdmin, null), PortalAction.DecideExit, Neutral(null)).Code);
    }

    [Fact]
    public void AnswerTransfer_ProposerNamedThemselves_Refused50507()
    {
        // An enterprise admin who teaches in the class proposes the transfer to themselves, then tries to accept it.
        var transfer = new AccessTarget(ClassId, ClassRole.Teacher, SubjectMemberId: Me, RequestedByMemberId: Me, AddresseeMemberId: Me, FromMemberId: GivingOwner);
        Assert.Equal(ErrorCatalogue.ProposerCannotAccept, AccessRules.Decide(new AccessActor(PortalRole.EnterpriseAdmin, Me), PortalAction.AnswerTransfer, transfer).Code);
        Assert.Equal(ErrorCatalogue.ProposerCannotAccept,
            AccessRules.Decide(new AccessActor(PortalRole.EnterpriseAdmin | PortalRole.SchoolStaff, Me), PortalAction.AnswerTransfer, transfer).Code);
    }

    [Theory]
    [InlineData(PortalRole.SchoolStaff, ClassRole.Teacher)]
    [InlineData(PortalRole.SchoolStaff, ClassRole.ClassAdmin)]
    [InlineData(PortalRole.EnterpriseAdmin, ClassRole.Teacher)]
    [InlineData(PortalRole.HrOperator, ClassRole.Teacher)]
    public void AnswerTransfer_TheAddressee_Allowed(PortalRole roles, ClassRole classRole)
    {
        // Proposed by the giving owner (the usual case) or by an admin on the owner's behalf.
        var byOwner = new AccessTarget(ClassId, classRole, SubjectMemberId: Me, RequestedByMemberId: GivingOwner, AddresseeMemberId: Me, FromMemberId: GivingOwner);
        Assert.True(AccessRules.Decide(new AccessActor(roles, Me), PortalAction.AnswerTransfer, byOwner).Allowed);
        Assert.True(AccessRules.Decide(new AccessActor(roles, Me), PortalAction.AnswerTransfer, byOwner with { RequestedByMemberId = Requester }).Allowed);
    }

    [Theory]
    [InlineData(PortalRole.Auditor)]
    [InlineData(PortalRole.PlatformOperator)]
    [InlineData(PortalRole.None)]
    public void AnswerTransfer_AddresseeWithoutAnActingRole_Refused(PortalRole roles)
    {
        // An auditor account that happens to teach in the class still changes nothing.
        var toMe = new AccessTarget(ClassId, ClassRole.Teacher, SubjectMemberId: Me, RequestedByMemberId: GivingOwner, AddresseeMemberId: Me, FromMemberId: GivingOwner);
        Assert.Equal(NotYours, AccessRules.Decide(new AccessActor(roles, Me), PortalAction.AnswerTransfer, toMe).Code);
    }

    [Theory]
    [InlineData(PortalRole.SchoolStaff, ClassRole.Owner)]
    [InlineData(PortalRole.EnterpriseAdmin, null)]
    [InlineData(PortalRole.SchoolStaff, ClassRole.Teacher)]
    public void AnswerTransfer_NotTheAddressee_Refused50506(PortalRole roles, ClassRole? classRole)
    {
        var actor = new AccessActor(roles, Me);
        var toSomeoneElse = new AccessTarget(ClassId, classRole, SubjectMemberId: Addressee, RequestedByMemberId: GivingOwner, AddresseeMemberId: Addressee, FromMemberId: GivingOwner);
        Assert.Equal(NotYours, AccessRules.Decide(actor, PortalAction.AnswerTransfer, toSomeoneElse).Code);
        // The owner who proposed it cannot accept it on the addressee's behalf: not theirs (50506) comes before "proposed it" (50507).
        Assert.Equal(NotYours, AccessRules.Decide(actor, PortalAction.AnswerTransfer, toSomeoneElse with { RequestedByMemberId = Me, FromMemberId = Me }).Code);
        Assert.Equal(NotYours, AccessRules.Decide(new AccessActor(roles, null), PortalAction.AnswerTransfer, toSomeoneElse).Code);
    }

    [Fact]
    public void AnswerTransfer_ApiKey_Refused40302EvenAsTheAddressee()
    {
        var transfer = new AccessTarget(ClassId, ClassRole.Teacher, RequestedByMemberId: GivingOwner, AddresseeMemberId: Me, FromMemberId: GivingOwner);
        Assert.Equal(No, AccessRules.Decide(Key(ApiScopes.All), PortalAction.AnswerTransfer, transfer).Code);
    }

    [Fact]
    public void CancelTransfer_GivingOwnerProposerOrAdmin_NotTheAddressee()
    {
        var transfer = new AccessTarget(ClassId, ClassRole.Teacher, RequestedByMemberId: Requester, AddresseeMemberId: Addressee, FromMemberId: GivingOwner);
        Assert.True(AccessRules.Decide(new AccessActor(PortalRole.SchoolStaff, GivingOwner), PortalAction.CancelTransfer, transfer).Allowed);
        Assert.True(AccessRules.Decide(new AccessActor(PortalRole.SchoolStaff, Requester), PortalAction.CancelTransfer, transfer).Allowed);
        Assert.True(AccessRules.Decide(new AccessActor(PortalRole.EnterpriseAdmin, Me), PortalAction.CancelTransfer, transfer).Allowed);
        Assert.Equal(No, AccessRules.Decide(new AccessActor(PortalRole.SchoolStaff, Addressee), PortalAction.CancelTransfer, transfer).Code);
    }

    [Fact]
    public void SeparationOfDuties_OnlyForDecisionsAndTransfers()
    {
        // Being the requester or leaving the class does not stop an admin from, say, editing the class's policy.
        var admin = new AccessActor(PortalRole.EnterpriseAdmin, Me);
        var mine = new AccessTarget(ClassId, ClassRole.Teacher, SubjectMemberId: Me, RequestedByMemberId: Me, ActorLeavingClass: true);
        foreach (var action in new[] { PortalAction.EditClassPolicy, PortalAction.ForceTransfer, PortalAction.CompleteChecklist, PortalAction.ManageLegalHolds })
            Assert.True(AccessRules.Decide(admin, action, mine).Allowed, action.ToString());
    }

    [Theory]
    [InlineData(PortalRole.EnterpriseAdmin, null, true)]
    [InlineData(PortalRole.EnterpriseAdmin, ClassRole.Student, true)]
    [InlineData(PortalRole.SchoolStaff, ClassRole.Owner, true)]
    [InlineData(PortalRole.SchoolStaff, ClassRole.ClassAdmin, true)]
    [InlineData(PortalRole.SchoolStaff, ClassRole.Teacher, true)]
    [InlineData(PortalRole.SchoolStaff, ClassRole.Student, false)]
    [InlineData(PortalRole.SchoolStaff, null, false)]
    [InlineData(PortalRole.HrOperator, ClassRole.Owner, false)]
    [InlineData(PortalRole.Auditor, ClassRole.Teacher, false)]
    [InlineData(PortalRole.PlatformOperator, ClassRole.ClassAdmin, false)]
    [InlineData(PortalRole.None, ClassRole.Owner, false)]
    [InlineData(PortalRole.HrOperator | PortalRole.SchoolStaff, ClassRole.Teacher, true)]
    [InlineData(PortalRole.Auditor | PortalRole.SchoolStaff, ClassRole.Student, false)]
    public void IsClassApprover_AdminsAndStaffWhoTeachThere(PortalRole roles, ClassRole? classRole, bool expected)
    {
        Assert.Equal(expected, AccessRules.IsClassApprover(roles, classRole));
        // The pool and the rule agree on a request that is nobody's own.
        Assert.Equal(expected, AccessRules.Decide(new AccessActor(roles, Me), PortalAction.DecideExit, Neutral(classRole)).Allowed);
    }
}
