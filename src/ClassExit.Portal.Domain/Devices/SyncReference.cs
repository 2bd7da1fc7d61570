namespace ClassExit.Portal.Domain.Devices;

/// <summary>Sync thresholds and the guide's reference figures per network class (guide §4).</summary>
public static class SyncReference
{
    public static (string Time, double FailureRatePercent) For(NetworkClass n) => n switch
    {
        NetworkClass.SameNetwork => ("≤ 30 s", 0.2),
        NetworkClass.CrossCarrier => ("45–120 s", 1.7),
        _ => ("≥ 3 min", 12.3),
    };
}
