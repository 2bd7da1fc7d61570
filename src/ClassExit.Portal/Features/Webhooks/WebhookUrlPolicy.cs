using System.Net;
using System.Net.Sockets;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Webhooks;
using ClassExit.Portal.Infrastructure;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Features.Webhooks;

/// <summary>
/// Which endpoint URLs may be saved: absolute https (http only in Development and the demo, or when <c>Webhooks:AllowHttp</c> says so),
/// no user name or password in it, at most <see cref="TextLimits.WebhookUrl"/> characters, and a host that resolves to no internal
/// address unless the admin allowed internal addresses (SSRF). The same check runs again at each connection
/// (<see cref="WebhooksFeature"/>), since a name can resolve differently later.
/// </summary>
public sealed class WebhookUrlPolicy(IOptions<WebhookOptions> options, IConfiguration configuration, IServiceProvider services)
{
    public bool AllowsHttp => options.Value.AllowHttp
        ?? (DemoOptions.IsOn(configuration) || services.GetService<IHostEnvironment>()?.IsDevelopment() == true);

    /// <summary>The refusal's code and why (for the audit entry), or null when the URL may be saved.</summary>
    public async Task<(int Code, string Why)?> CheckAsync(string url, bool allowInternal, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.UserInfo.Length > 0 || string.IsNullOrEmpty(uri.Host)
            || !(uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && AllowsHttp)))
            return (ErrorCatalogue.WebhookUrlInvalid, "scheme or form");
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(uri.IdnHost, ct);
        }
        catch (SocketException)
        {
            addresses = [];
        }
        if (addresses.Length == 0) return (ErrorCatalogue.WebhookHostUnresolved, $"{uri.Host} does not resolve");
        if (!allowInternal && addresses.FirstOrDefault(InternalAddresses.IsInternal) is { } bad)
            return (ErrorCatalogue.WebhookAddressInternal, $"{uri.Host} resolves to {bad}");
        return null;
    }

    /// <summary>At delivery: the scheme is still allowed (the configuration may have changed since the endpoint was saved).</summary>
    public bool SchemeAllowed(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && AllowsHttp));
}
