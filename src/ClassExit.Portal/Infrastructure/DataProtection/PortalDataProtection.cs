using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Infrastructure.Schema;
using Microsoft.AspNetCore.DataProtection;

namespace ClassExit.Portal.Infrastructure.DataProtection;

/// <summary>The <c>DataProtection</c> configuration section (ADR 0011).</summary>
public sealed class DataProtectionSettings
{
    public const string SectionName = "DataProtection";

    /// <summary>The application name every instance shares: keys are isolated per application name, so it is fixed, never the
    /// content root (the framework's default, which differs between hosts and containers).</summary>
    public const string ApplicationName = "ClassExit.Portal";

    /// <summary>A PFX (PKCS#12) file with a private key that encrypts every key at rest. Unset: keys are stored unencrypted in the
    /// database (whoever reads the database can then forge cookies; set it in production).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PFX file's password (from a secret store or the environment, never from a committed file).</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Earlier certificates (PFX, same password rule: <c>PreviousCertificates:N:Path</c> and <c>:Password</c>) that may still
    /// decrypt older keys after the certificate was rotated.</summary>
    public List<CertificateFile> PreviousCertificates { get; set; } = [];

    public sealed class CertificateFile
    {
        public string Path { get; set; } = "";
        public string? Password { get; set; }
    }
}

public static class PortalDataProtection
{
    /// <summary>
    /// The key ring in the portal's own database (table <c>DataProtectionKeys</c>), shared by every instance: a cookie or antiforgery
    /// token issued by one instance is accepted by another and after a restart. With <c>DataProtection:CertificatePath</c>, every key is
    /// encrypted with that certificate before it is stored. A certificate that cannot be loaded refuses the start (51002).
    /// </summary>
    public static IServiceCollection AddPortalDataProtection(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var settings = configuration.GetSection(DataProtectionSettings.SectionName).Get<DataProtectionSettings>() ?? new DataProtectionSettings();
        var builder = services.AddDataProtection()
            .SetApplicationName(DataProtectionSettings.ApplicationName)
            .PersistKeysToDbContext<PortalDbContext>();
        if (!string.IsNullOrWhiteSpace(settings.CertificatePath))
        {
            var current = Load(environment, settings.CertificatePath, settings.CertificatePassword);
            builder.ProtectKeysWithCertificate(current);
            // Decryption finds certificates in the machine's store by default; these files are not in it.
            builder.UnprotectKeysWithAnyCertificate([current, .. settings.PreviousCertificates.Select(p => Load(environment, p.Path, p.Password))]);
        }
        return services;
    }

    internal static X509Certificate2 Load(IHostEnvironment environment, string path, string? password)
    {
        var full = Path.IsPathRooted(path) ? path : Path.Combine(environment.ContentRootPath, path);
        try
        {
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(full, password, X509KeyStorageFlags.EphemeralKeySet);
            if (!certificate.HasPrivateKey)
                throw new PortalStartupException(ErrorCatalogue.DataProtectionCertificateUnusable, $"{full}: the certificate has no private key.");
            return certificate;
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new PortalStartupException(ErrorCatalogue.DataProtectionCertificateUnusable, $"{full}: {e.Message}");
        }
    }
}
