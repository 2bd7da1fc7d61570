using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Exits;

namespace ClassExit.Portal.Domain.Tests.Exits;

public class ExitRequestTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 8, 0, 0, TimeSpan.Zero);

    private static ExitRequest Pending() =>
        new(1, 10, 100, ClassRole.Teacher, ExitKind.SelfExit, ExitChannel.Pc, VerificationMethod.Sms, 100, Now);

    [Fact]
    public void Approve_ByAnotherMember_Approved()
    {
        var r = Pending();
        r.Approve(deciderMemberId: 7, Now.AddHours(1));
        Assert.Equal(ExitRequestStatus.Approved, r.Status);
        Assert.Equal(7, r.DecidedByMemberId);
    }

    [Fact]
    public void Approve_OwnRequest_Throws() => Assert.Throws<InvalidOperationException>(() => Pending().Approve(100, Now));

    [Fact]
    public void Approve_Twice_Throws()
    {
        var r = Pending();
        r.Approve(7, Now);
        Assert.Throws<InvalidOperationException>(() => r.Approve(8, Now));
    }

    [Fact]
    public void Reject_WithoutReason_Throws() => Assert.Throws<ArgumentException>(() => Pending().Reject(7, Now, " "));

    [Fact]
    public void Complete_AfterApproval_CompletedWithTime()
    {
        var r = Pending();
        r.Approve(7, Now);
        r.Complete(Now.AddMinutes(1));
        Assert.Equal(ExitRequestStatus.Completed, r.Status);
        Assert.Equal(Now.AddMinutes(1), r.CompletedAt);
    }

    [Fact]
    public void Complete_AfterRejection_Throws()
    {
        var r = Pending();
        r.Reject(7, Now, "duties not handed over");
        Assert.Throws<InvalidOperationException>(() => r.Complete(Now));
    }

    [Fact]
    public void PlanHandover_AfterDecision_Throws()
    {
        var r = Pending();
        r.PlanHandover(DutyKind.Assignment, 5, 200);
        r.Approve(7, Now);
        Assert.Single(r.Handover);
        Assert.Throws<InvalidOperationException>(() => r.PlanHandover(DutyKind.LiveStream, 6, 200));
    }

    [Fact]
    public void MarkOverdue_Twice_EscalatesOnce()
    {
        var r = Pending();
        r.MarkOverdue(Now);
        r.MarkOverdue(Now.AddHours(1));
        Assert.True(r.Overdue);
        Assert.Equal(Now, r.EscalatedAt);
        Assert.Equal(1, r.Version);
    }

    [Fact]
    public void Fail_Pending_FailedWithCode()
    {
        var r = Pending();
        r.Fail(50177, Now);
        Assert.Equal(ExitRequestStatus.Failed, r.Status);
        Assert.Equal(50177, r.Code);
    }
}
