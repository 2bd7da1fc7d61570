using Hangfire;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Features.Notifications;

/// <summary>
/// Issue 17, the people half: in-portal notifications (bell, list, preferences), e-mail through an outbox, the SLA reminder, the
/// daily digest. The event catalogue is <see cref="Domain.Notifications.EventKinds"/>; events are raised at their sources through
/// <see cref="PortalEvents"/> and staged here by <see cref="NotificationSink"/>.
/// </summary>
public static class NotificationsFeature
{
    public static IServiceCollection AddNotifications(this IServiceCollection services)
    {
        services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
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
        return services;
    }

    public static void ScheduleNotificationsJobs(IServiceProvider services)
    {
        var o = services.GetRequiredService<IOptions<EmailOptions>>().Value;
        var jobs = services.GetRequiredService<IRecurringJobManager>();
        var utc = new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc };
        jobs.AddOrUpdate<EmailOutboxJob>(EmailOutboxJob.JobId, j => j.RunAsync(CancellationToken.None), o.SendCron, utc);
        jobs.AddOrUpdate<NotificationDigestJob>(NotificationDigestJob.JobId, j => j.RunAsync(CancellationToken.None), o.DigestCron, utc);
        jobs.AddOrUpdate<ApprovalReminderJob>(ApprovalReminderJob.JobId, j => j.RunAsync(CancellationToken.None), o.ReminderCron, utc);
        jobs.AddOrUpdate<NotificationReportsJob>(NotificationReportsJob.JobId, j => j.RunAsync(CancellationToken.None), o.DailyReportCron, utc);
    }
}
