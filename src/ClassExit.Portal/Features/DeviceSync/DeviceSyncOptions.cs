using System.ComponentModel.DataAnnotations;
using ClassExit.Portal.Domain.Devices;

namespace ClassExit.Portal.Features.DeviceSync;

/// <summary>The <c>DeviceSync</c> configuration section.</summary>
public sealed class DeviceSyncOptions
{
    public const string SectionName = "DeviceSync";

    /// <summary>Seconds a device on the same enterprise network may take to acknowledge a change (guide: ≤ 30 s).</summary>
    [Range(1, 86_400)]
    public int SameNetworkSeconds { get; set; } = 30;

    /// <summary>Seconds across carriers (guide: 45–120 s).</summary>
    [Range(1, 86_400)]
    public int CrossCarrierSeconds { get; set; } = 120;

    /// <summary>Seconds on international links (guide: ≥ 3 min).</summary>
    [Range(1, 86_400)]
    public int InternationalSeconds { get; set; } = 180;

    /// <summary>Cron of the sync check (every minute by default).</summary>
    [Required]
    public string CheckCron { get; set; } = "* * * * *";

    /// <summary>Run the demo device simulator. Null: on in demo mode.</summary>
    public bool? SimulatorEnabled { get; set; }

    public TimeSpan Threshold(NetworkClass network) => TimeSpan.FromSeconds(network switch
    {
        NetworkClass.SameNetwork => SameNetworkSeconds,
        NetworkClass.CrossCarrier => CrossCarrierSeconds,
        _ => InternationalSeconds,
    });
}
