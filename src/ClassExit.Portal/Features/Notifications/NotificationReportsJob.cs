using ClassExit.Portal.Features.DeviceSync;

namespace ClassExit.Portal.Features.Notifications;

/// <summary>
/// The daily reports that are events of their own: devices stale for over an hour (<see cref="SyncCheckJob.ReportStaleDevicesAsync"/>).
/// API keys carry no expiry date in this model, so <see cref="Domain.Notifications.EventKinds.ApiKeyExpiring"/> is not raised yet.
/// </summary>
public sealed class NotificationReportsJob(SyncCheckJob sync)
{
    public const string JobId = "notifications-daily-reports";

    public Task<int> RunAsync(CancellationToken ct) => sync.ReportStaleDevicesAsync(ct);
}
