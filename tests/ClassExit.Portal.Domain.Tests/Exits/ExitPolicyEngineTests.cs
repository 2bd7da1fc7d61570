using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Exits.Policy;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;

namespace ClassExit.Portal.Domain.Tests.Exits;

public class ExitPolicyEngineTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 2, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = new(2026, 11, 25);

    private static ExitEvaluationInput Student(ExitPolicy? policy = null) => new(
        ExitKind.SelfExit, ClassRole.Student, MembershipState.Active, OrgRole.Member, ResignationState.None, ClassStatus.Active,
        Classification.Normal, Today.AddDays(60), ExitLocked: false, policy ?? new ExitPolicy(), Now, Today);

    private static ClientContext Client(string version = "3.1.10", TimeSpan? skew = null, bool bound = true) =>
        new(version, Now + (skew ?? TimeSpan.Zero), new DeviceSnapshot("D1", Known: true, BelongsToMember: true, Bound: bound));

    private static int[] Codes(ExitDecision d) => d.Reasons.Select(r => r.Code).ToArray();

    [Fact]
    public void Evaluate_OrdinaryStudent_CompletesNow()
    {
        var d = ExitPolicyEngine.Evaluate(Student() with { Client = Client() });
        Assert.Equal(ExitOutcome.CompletesNow, d.Outcome);
        Assert.Empty(d.Reasons);
    }

    [Fact]
    public void Evaluate_StudentWhenOrgRequiresApproval_NeedsApproval() =>
        Assert.Equal(ExitOutcome.NeedsApproval, ExitPolicyEngine.Evaluate(Student(new ExitPolicy { ExitRequiresApproval = true })).Outcome);

    [Fact]
    public void Evaluate_TeacherWithNoOpenDuties_NeedsApproval() =>
        Assert.Equal(ExitOutcome.NeedsApproval, ExitPolicyEngine.Evaluate(Student() with { Role = ClassRole.Teacher }).Outcome);

    [Fact]
    public void Evaluate_OwnerLeaving_RefusedWithTransferRemedy()
    {
        var d = ExitPolicyEngine.Evaluate(Student() with { Role = ClassRole.Owner });
        Assert.True(d.IsRefused);
        Assert.Equal([ErrorCatalogue.OwnerMustTransfer], Codes(d));
        Assert.Contains("Transfer ownership", ErrorCatalogue.Get(d.PrimaryCode!.Value).RemedyEn);
    }

    [Fact]
    public void Evaluate_SuperAdminLeaving_RefusedWith50101() =>
        Assert.Contains(ErrorCatalogue.OwnerMustTransfer, Codes(ExitPolicyEngine.Evaluate(Student() with { MemberOrgRole = OrgRole.SuperAdmin })));

    [Fact]
    public void Evaluate_EnterpriseAdminSelfExit_Refused() =>
        Assert.Equal([ErrorCatalogue.AdminCannotSelfExit], Codes(ExitPolicyEngine.Evaluate(Student() with { MemberOrgRole = OrgRole.EnterpriseAdmin, Role = ClassRole.Teacher })));

    [Fact]
    public void Evaluate_ClassAdmin_RefusedWith50102() =>
        Assert.Equal([ErrorCatalogue.ClassAdminMustHandOver], Codes(ExitPolicyEngine.Evaluate(Student() with { Role = ClassRole.ClassAdmin })));

    [Fact]
    public void Evaluate_StudentWithOwnUnfinishedLiveStream_RefusedWith50103()
    {
        var d = ExitPolicyEngine.Evaluate(Student() with { OpenDuties = [new OpenDuty(DutyKind.LiveStream, 4, "分享会", CreatedByLeaver: true, ResponsibleIsLeaver: true)] });
        Assert.Equal([ErrorCatalogue.UnfinishedOwnContent], Codes(d));
    }

    [Fact]
    public void Evaluate_TeacherWithoutHandover_RefusedWith50104()
    {
        var d = ExitPolicyEngine.Evaluate(Student() with
        {
            Role = ClassRole.Teacher,
            OpenDuties = [new OpenDuty(DutyKind.Assignment, 1, "实验报告", true, true), new OpenDuty(DutyKind.LiveStream, 2, "直播答疑", true, true)],
        });
        Assert.Equal([ErrorCatalogue.TeacherDutiesNotHandedOver], Codes(d));
        Assert.Contains("实验报告", d.Reasons[0].Detail);
    }

    [Fact]
    public void Evaluate_TeacherWithCompletePlan_NeedsApproval()
    {
        var d = ExitPolicyEngine.Evaluate(Student() with
        {
            Role = ClassRole.Teacher,
            OpenDuties = [new OpenDuty(DutyKind.Assignment, 1, "实验报告", true, true), new OpenDuty(DutyKind.LiveStream, 2, "直播答疑", true, true)],
            Handover = [new PlannedHandover(DutyKind.Assignment, 1, 77), new PlannedHandover(DutyKind.LiveStream, 2, 77)],
            EligibleSuccessors = new HashSet<long> { 77 },
        });
        Assert.Equal(ExitOutcome.NeedsApproval, d.Outcome);
    }

    [Fact]
    public void Evaluate_TeacherPlanToNonTeacher_RefusedWith50106()
    {
        var d = ExitPolicyEngine.Evaluate(Student() with
        {
            Role = ClassRole.Teacher,
            OpenDuties = [new OpenDuty(DutyKind.Assignment, 1, "实验报告", true, true)],
            Handover = [new PlannedHandover(DutyKind.Assignment, 1, 999)],
            EligibleSuccessors = new HashSet<long> { 77 },
        });
        Assert.Equal([ErrorCatalogue.HandoverPlanInvalid], Codes(d));
    }

    [Fact]
    public void Evaluate_OpenApproval_RefusedWith50031() =>
        Assert.Equal([ErrorCatalogue.UnfinishedApproval], Codes(ExitPolicyEngine.Evaluate(Student() with { HasOpenApproval = true, State = MembershipState.ExitPending })));

    [Fact]
    public void Evaluate_AlreadyLeft_RefusedWith50301() =>
        Assert.Equal([ErrorCatalogue.NotActiveMember], Codes(ExitPolicyEngine.Evaluate(Student() with { State = MembershipState.Left })));

    [Fact]
    public void Evaluate_DissolvedClass_RefusedWith50302() =>
        Assert.Equal([ErrorCatalogue.ClassDissolved], Codes(ExitPolicyEngine.Evaluate(Student() with { ClassStatus = ClassStatus.Dissolved, State = MembershipState.Left })));

    [Theory]
    [InlineData("3.1.9", true)]
    [InlineData("3.1.10", false)]
    [InlineData("3.1.11", false)]
    [InlineData("3.10.0", false)]
    [InlineData("3.0.99", true)]
    [InlineData("2.99.99", true)]
    [InlineData("4.0", false)]
    [InlineData("garbage", true)]
    public void Evaluate_ClientVersion_RefusedBelow3_1_10(string version, bool refused)
    {
        var d = ExitPolicyEngine.Evaluate(Student() with { Client = Client(version) });
        Assert.Equal(refused, Codes(d).Contains(ErrorCatalogue.ClientTooOld));
    }

    [Fact]
    public void Evaluate_OrganisationRaisesMinimumVersion_OlderRefused() =>
        Assert.Contains(ErrorCatalogue.ClientTooOld,
            Codes(ExitPolicyEngine.Evaluate(Student(new ExitPolicy { MinimumClientVersion = "3.2.0" }) with { Client = Client("3.1.12") })));

    [Theory]
    [InlineData(300, false)]
    [InlineData(-300, false)]
    [InlineData(301, true)]
    [InlineData(-301, true)]
    [InlineData(3600, true)]
    public void Evaluate_ClockSkew_ExactlyAtLimitAllowed(int seconds, bool refused)
    {
        var d = ExitPolicyEngine.Evaluate(Student() with { Client = Client(skew: TimeSpan.FromSeconds(seconds)) });
        Assert.Equal(refused, Codes(d).Contains(ErrorCatalogue.DeviceClockSkew));
    }

    [Fact]
    public void Evaluate_DeviceBindingOn_UnboundDeviceRefusedWith50204()
    {
        var policy = new ExitPolicy { DeviceBindingRequired = true };
        Assert.Equal([ErrorCatalogue.DeviceNotBound], Codes(ExitPolicyEngine.Evaluate(Student(policy) with { Client = Client(bound: false) })));
        Assert.Empty(Codes(ExitPolicyEngine.Evaluate(Student(policy) with { Client = Client(bound: true) })));
    }

    // 50205 whatever the binding policy: a device of another member, or one the organisation has never seen. Binding (50204) is
    // then not reported as well: binding a device the member does not have would not help.
    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public void Evaluate_DeviceNotRegisteredToMember_RefusedWith50205(bool knownInOrganisation, bool bindingRequired)
    {
        var policy = new ExitPolicy { DeviceBindingRequired = bindingRequired };
        var device = new ClientContext("3.1.10", Now, new DeviceSnapshot("D9", Known: knownInOrganisation, BelongsToMember: false, Bound: knownInOrganisation));
        Assert.Equal([ErrorCatalogue.DeviceNotRegistered], Codes(ExitPolicyEngine.Evaluate(Student(policy) with { Client = device })));
    }

    [Fact]
    public void Evaluate_NoClient_NoDeviceRules() =>
        Assert.Empty(Codes(ExitPolicyEngine.Evaluate(Student(new ExitPolicy { DeviceBindingRequired = true }) with { Client = null })));

    [Fact]
    public void Evaluate_DeviceBindingOff_UnboundDeviceAllowed() =>
        Assert.Empty(Codes(ExitPolicyEngine.Evaluate(Student() with { Client = Client(bound: false) })));

    [Fact]
    public void Evaluate_BlacklistedClass_RefusedWith50201() =>
        Assert.Equal([ErrorCatalogue.ClassBlacklisted], Codes(ExitPolicyEngine.Evaluate(Student() with { ExitLocked = true })));

    [Theory]
    [InlineData(14, false)]
    [InlineData(13, true)]
    [InlineData(0, true)]
    [InlineData(-1, false)]
    public void Evaluate_FreezeWindow_BoundaryAtFourteenDays(int daysBeforeTermEnd, bool refused)
    {
        var termEnd = Today.AddDays(daysBeforeTermEnd);
        var d = ExitPolicyEngine.Evaluate(Student(new ExitPolicy { FreezeWindowDays = 14 }) with { TermEndsOn = termEnd });
        Assert.Equal(refused, Codes(d).Contains(ErrorCatalogue.FreezeWindow));
        if (refused) Assert.Equal(termEnd.AddDays(1), d.ExitPossibleFrom);
    }

    [Fact]
    public void Evaluate_KeyClassBeforeResignationComplete_RefusedAndRaisesAlert()
    {
        var d = ExitPolicyEngine.Evaluate(Student() with { Classification = Classification.Key, Resignation = ResignationState.InProgress });
        Assert.Equal([ErrorCatalogue.KeyClassResignationIncomplete], Codes(d));
        Assert.True(d.RaisesSecurityAlert);
        Assert.False(ExitPolicyEngine.Evaluate(Student() with { Classification = Classification.Key, Resignation = ResignationState.Completed }).IsRefused);
    }

    [Fact]
    public void Evaluate_ChecklistIncomplete_RefusedWith50105()
    {
        Assert.Equal([ErrorCatalogue.HandoverChecklistIncomplete], Codes(ExitPolicyEngine.Evaluate(Student() with { ChecklistItems = 2, ChecklistItemsCompleted = 1 })));
        Assert.Empty(Codes(ExitPolicyEngine.Evaluate(Student() with { ChecklistItems = 2, ChecklistItemsCompleted = 2 })));
    }

    [Fact]
    public void Evaluate_SeveralRulesBlock_ReportsEveryOneInOrder()
    {
        var d = ExitPolicyEngine.Evaluate(Student(new ExitPolicy { FreezeWindowDays = 14 }) with
        {
            Client = Client("3.1.9", TimeSpan.FromMinutes(10)),
            ExitLocked = true,
            TermEndsOn = Today.AddDays(3),
            ChecklistItems = 1,
        });
        Assert.Equal([ErrorCatalogue.ClientTooOld, ErrorCatalogue.DeviceClockSkew, ErrorCatalogue.ClassBlacklisted, ErrorCatalogue.FreezeWindow,
            ErrorCatalogue.HandoverChecklistIncomplete], Codes(d));
        Assert.Equal(ErrorCatalogue.ClientTooOld, d.PrimaryCode);
    }

    [Fact]
    public void Evaluate_HrBatch_IgnoresMemberSideRulesButKeepsOwnerBlacklistKeyAndFreeze()
    {
        var hr = Student(new ExitPolicy { ExitRequiresApproval = true, FreezeWindowDays = 14 }) with { Kind = ExitKind.HrBatch, Role = ClassRole.Teacher, ChecklistItems = 3 };
        Assert.Equal(ExitOutcome.CompletesNow, ExitPolicyEngine.Evaluate(hr).Outcome);
        Assert.Equal([ErrorCatalogue.OwnerMustTransfer], Codes(ExitPolicyEngine.Evaluate(hr with { Role = ClassRole.Owner })));
        Assert.Equal([ErrorCatalogue.ClassBlacklisted], Codes(ExitPolicyEngine.Evaluate(hr with { ExitLocked = true })));
        Assert.Equal([ErrorCatalogue.FreezeWindow], Codes(ExitPolicyEngine.Evaluate(hr with { TermEndsOn = Today })));
        Assert.Equal([ErrorCatalogue.KeyClassResignationIncomplete], Codes(ExitPolicyEngine.Evaluate(hr with { Classification = Classification.Key })));
    }

    [Fact]
    public void Evaluate_ForceRemoval_OnlyOwnerAndMembershipRulesApply()
    {
        var force = Student(new ExitPolicy { FreezeWindowDays = 14 }) with
        {
            Kind = ExitKind.ForceRemoval, Role = ClassRole.ClassAdmin, ExitLocked = true, TermEndsOn = Today, Classification = Classification.Key,
            State = MembershipState.ExitPending, HasOpenApproval = true,
        };
        Assert.Equal(ExitOutcome.CompletesNow, ExitPolicyEngine.Evaluate(force).Outcome);
        Assert.Equal([ErrorCatalogue.OwnerMustTransfer], Codes(ExitPolicyEngine.Evaluate(force with { Role = ClassRole.Owner })));
        Assert.Equal([ErrorCatalogue.NotActiveMember], Codes(ExitPolicyEngine.Evaluate(force with { State = MembershipState.Removed })));
    }
}
