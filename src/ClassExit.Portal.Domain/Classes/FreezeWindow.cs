namespace ClassExit.Portal.Domain.Classes;

/// <summary>
/// The exit freeze before a term ends ("schools forbid leaving in the last two weeks of a term").
/// With a window of N days and a term ending on day T, the frozen days are T−N+1 … T: on T−N an exit is still
/// possible, and after the freeze the first possible day is T+1.
/// </summary>
public static class FreezeWindow
{
    public static bool IsFrozen(DateOnly today, DateOnly termEndsOn, int windowDays) =>
        windowDays > 0 && today > termEndsOn.AddDays(-windowDays) && today <= termEndsOn;

    /// <summary>The first day an exit is possible again once the window has started.</summary>
    public static DateOnly ExitPossibleFrom(DateOnly termEndsOn) => termEndsOn.AddDays(1);

    /// <summary>The first frozen day, for previews ("exits freeze from …").</summary>
    public static DateOnly FreezeStartsOn(DateOnly termEndsOn, int windowDays) => termEndsOn.AddDays(-windowDays + 1);
}
