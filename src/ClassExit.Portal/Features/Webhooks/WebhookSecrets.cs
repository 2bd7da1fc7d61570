using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace ClassExit.Portal.Features.Webhooks;

/// <summary>
/// Endpoint signing secrets: 32 random bytes in the Standard Webhooks form <c>whsec_&lt;base64&gt;</c>, shown to the admin once and
/// stored only as the Data Protection API protected them.
/// </summary>
public sealed class WebhookSecrets(IDataProtectionProvider dataProtection)
{
    public const string Prefix = "whsec_";
    private readonly IDataProtector _protector = dataProtection.CreateProtector("ClassExit.Portal.Webhooks.EndpointSecret.v1");

    public static string NewSecret() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public string Protect(string secret) => _protector.Protect(secret);

    public string Unprotect(string protectedSecret) => _protector.Unprotect(protectedSecret);
}
