using ClassExit.Portal.Domain.Classes;

namespace ClassExit.Portal.Domain.Tests.Classes;

public class MembershipTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 8, 0, 0, TimeSpan.Zero);

    private static Membership Active(ClassRole role = ClassRole.Student) => new(1, 10, 100, role, Now.AddDays(-30));

    [Fact]
    public void Leave_ActiveStudent_LeftWithTimeAndVersionBumped()
    {
        var m = Active();
        m.Leave(Now, forced: false);
        Assert.Equal(MembershipState.Left, m.State);
        Assert.Equal(Now, m.LeftAt);
        Assert.Equal(1, m.Version);
    }

    [Fact]
    public void Leave_Forced_Removed()
    {
        var m = Active();
        m.Leave(Now, forced: true);
        Assert.Equal(MembershipState.Removed, m.State);
    }

    [Fact]
    public void Leave_OwnerNotForced_Throws() =>
        Assert.Throws<InvalidOperationException>(() => Active(ClassRole.Owner).Leave(Now, forced: false));

    [Fact]
    public void Leave_AlreadyLeft_Throws()
    {
        var m = Active();
        m.Leave(Now, forced: false);
        Assert.Throws<InvalidOperationException>(() => m.Leave(Now, forced: false));
    }

    [Fact]
    public void MarkExitPending_ThenReturnToActive_BackToActive()
    {
        var m = Active(ClassRole.Teacher);
        m.MarkExitPending();
        Assert.Equal(MembershipState.ExitPending, m.State);
        m.ReturnToActive();
        Assert.Equal(MembershipState.Active, m.State);
        Assert.Equal(2, m.Version);
    }

    [Fact]
    public void MarkExitPending_Twice_Throws()
    {
        var m = Active();
        m.MarkExitPending();
        Assert.Throws<InvalidOperationException>(m.MarkExitPending);
    }

    [Fact]
    public void ResetState_PendingWithoutCompletion_BackToActive()
    {
        var m = Active();
        m.MarkExitPending();
        m.ResetState(completeExit: false, Now);
        Assert.Equal(MembershipState.Active, m.State);
    }
}
