using Hangfire;

namespace ClassExit.Portal.Features.Webhooks;

/// <summary>
/// Enqueues the dispatcher now (after a commit that staged deliveries) instead of waiting for its minute. Where no job client is
/// registered (a test host without Hangfire) it does nothing: the recurring dispatcher, or a direct call, sends them.
/// </summary>
public sealed class WebhookKick(IServiceProvider services)
{
    public void Now()
    {
        try
        {
            services.GetService<IBackgroundJobClient>()?.Enqueue<WebhookDispatcher>(j => j.RunAsync(CancellationToken.None));
        }
        catch (InvalidOperationException)
        {
            // No job storage configured: the recurring pass (or the caller) delivers.
        }
    }
}
