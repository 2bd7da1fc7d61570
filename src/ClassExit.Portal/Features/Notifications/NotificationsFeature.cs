using Hangfire;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ClassExit.Portal.Features.Notifications;

/// <summary>
/// Issue 17, the people half: in-portal notifications (bell, list, preferences), e-mail through an outbox, the SLA reminder, the
/// daily digest. The event catalogue is <see cref="Domain.Notifications.EventKinds"/>; events are raised at their sources through
/// <see cref="PortalEvents"/> (to every <see cref="IPortalEventSink"/>: this feature's and the webhooks') and staged here by
/// <see cref="NotificationSink"/>.
/// </summary>
public sealed class NotificationsFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<PortalEvents>();
        services.AddValidatedOptions<EmailOptions>(EmailOptions.SectionName);
        services.AddSingleton<NotificationNotifier>();
        services.AddSingleton<NotificationCommitInterceptor>();
        // The portal's DbContext options take every registered interceptor (PortalData): this one tells circuits after commit.
        services.AddSingleton<IInterceptor>(sp => sp.GetRequiredService<NotificationCommitInterceptor>());
        services.AddSingleton<IPortalEventSink, NotificationSink>();
        services.AddScoped<NotificationsService>();
        services.AddTransient<EmailOutboxJob>();
        services.AddTransient<NotificationDigestJob>();
        services.AddTransient<ApprovalReminderJob>();
        services.AddTransient<NotificationReportsJob>();
    }

    public void ScheduleJobs(IServiceProvider services, IRecurringJobManager jobs)
    {
        var o = services.Options<EmailOptions>();
        jobs.Every<EmailOutboxJob>(EmailOutboxJob.JobId, o.SendCron, j => j.RunAsync(CancellationToken.None));
        jobs.Every<NotificationDigestJob>(NotificationDigestJob.JobId, o.DigestCron, j => j.RunAsync(CancellationToken.None));
        jobs.Every<ApprovalReminderJob>(ApprovalReminderJob.JobId, o.ReminderCron, j => j.RunAsync(CancellationToken.None));
        jobs.Every<NotificationReportsJob>(NotificationReportsJob.JobId, o.DailyReportCron, j => j.RunAsync(CancellationToken.None));
    }
}
