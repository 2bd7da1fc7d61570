using ClassExit.Portal.Domain.Classes;

namespace ClassExit.Portal.Domain.Tests.Classes;

public class FreezeWindowTests
{
    private static readonly DateOnly TermEnd = new(2027, 1, 15);

    [Fact]
    public void IsFrozen_ExactlyFourteenDaysBeforeTermEnd_NotFrozen() =>
        Assert.False(FreezeWindow.IsFrozen(TermEnd.AddDays(-14), TermEnd, 14));

    [Fact]
    public void IsFrozen_ThirteenDaysBeforeTermEnd_Frozen() =>
        Assert.True(FreezeWindow.IsFrozen(TermEnd.AddDays(-13), TermEnd, 14));

    [Fact]
    public void IsFrozen_OnTermEndDay_Frozen() => Assert.True(FreezeWindow.IsFrozen(TermEnd, TermEnd, 14));

    [Fact]
    public void IsFrozen_DayAfterTermEnd_NotFrozen() => Assert.False(FreezeWindow.IsFrozen(TermEnd.AddDays(1), TermEnd, 14));

    [Fact]
    public void IsFrozen_WindowZero_NeverFrozen() => Assert.False(FreezeWindow.IsFrozen(TermEnd, TermEnd, 0));

    [Fact]
    public void ExitPossibleFrom_IsTheDayAfterTermEnd() => Assert.Equal(new DateOnly(2027, 1, 16), FreezeWindow.ExitPossibleFrom(TermEnd));

    [Fact]
    public void FreezeStartsOn_FirstFrozenDay() => Assert.Equal(TermEnd.AddDays(-13), FreezeWindow.FreezeStartsOn(TermEnd, 14));
}
