using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Infrastructure.DataProtection;
using ClassExit.Portal.Infrastructure.Schema;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace ClassExit.Portal.Tests.Infrastructure.Production;

/// <summary>
/// The key ring in the portal's database (ADR 0011): two service providers on one SQLite file stand for two instances (or one instance
/// before and after a restart). What one protects the other unprotects; with a certificate the stored keys are encrypted.
/// </summary>
public sealed class DataProtectionKeyRingTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("classexit-dp-").FullName;
    private string DatabasePath => Path.Combine(_directory, "portal.db");

    public async Task InitializeAsync()
    {
        await using var db = Db();
        await db.Database.MigrateAsync();
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>The Identity model depends on IdentityOptions from the application's services: contexts here get the portal's
    /// (a model built without them would be cached for the whole test run and differ from the migrations).</summary>
    private static readonly ServiceProvider AppServices = IdentityServices(new ServiceCollection()).BuildServiceProvider();

    private static IServiceCollection IdentityServices(IServiceCollection services)
    {
        services.AddOptions<Microsoft.AspNetCore.Identity.IdentityOptions>().Configure(PortalIdentityOptions.Configure);
        return services;
    }

    private PortalDbContext Db() => new PortalDbContext(new DbContextOptionsBuilder<PortalDbContext>()
        .UsePortalProvider(DatabaseProvider.Sqlite, $"Data Source={DatabasePath};Pooling=False")
        .UseApplicationServiceProvider(AppServices).Options).ForSystem();

    private ServiceProvider Instance(IDictionary<string, string?>? settings = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var services = IdentityServices(new ServiceCollection());
        services.AddLogging();
        services.AddDbContextFactory<PortalDbContext>(o => o.UsePortalProvider(DatabaseProvider.Sqlite, $"Data Source={DatabasePath};Pooling=False"));
        services.AddPortalDataProtection(configuration, new Environment(_directory));
        return services.BuildServiceProvider();
    }

    private async Task<List<string>> StoredKeysAsync()
    {
        await using var db = Db();
        return await db.DataProtectionKeys.Select(k => k.Xml!).ToListAsync();
    }

    [Fact]
    public async Task SecondInstance_UnprotectsWhatTheFirstProtected_FromTheSharedDatabase()
    {
        string token;
        await using (var first = Instance())
            token = first.GetRequiredService<IDataProtectionProvider>().CreateProtector("cookie").Protect("会话 session 1");

        var keys = await StoredKeysAsync();
        Assert.Single(keys);
        // Without a certificate the key is stored as it is (documented: set DataProtection:CertificatePath in production).
        Assert.Contains("<masterKey", keys[0]);

        await using var second = Instance();
        Assert.Equal("会话 session 1", second.GetRequiredService<IDataProtectionProvider>().CreateProtector("cookie").Unprotect(token));
        // Keys are isolated per application name, which is why it is fixed: the same key ring under another name cannot read it.
        var services = IdentityServices(new ServiceCollection());
        services.AddLogging();
        services.AddDbContextFactory<PortalDbContext>(o => o.UsePortalProvider(DatabaseProvider.Sqlite, $"Data Source={DatabasePath};Pooling=False"));
        services.AddDataProtection().SetApplicationName("another-name").PersistKeysToDbContext<PortalDbContext>();
        await using var renamed = services.BuildServiceProvider();
        Assert.ThrowsAny<CryptographicException>(() => renamed.GetRequiredService<IDataProtectionProvider>().CreateProtector("cookie").Unprotect(token));
    }

    [Fact]
    public async Task WithCertificate_KeysAreEncryptedAtRest_AndOnlyAnInstanceWithTheCertificateReadsThem()
    {
        var pfx = Path.Combine(_directory, "dp.pfx");
        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=ClassExit.Portal data protection (test)", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "test-pfx-password"));
        }
        var withCertificate = new Dictionary<string, string?>
        {
            ["DataProtection:CertificatePath"] = "dp.pfx", // relative to the content root
            ["DataProtection:CertificatePassword"] = "test-pfx-password",
        };

        string token;
        await using (var first = Instance(withCertificate))
            token = first.GetRequiredService<IDataProtectionProvider>().CreateProtector("antiforgery").Protect("令牌 token");

        var keys = await StoredKeysAsync();
        Assert.Single(keys);
        Assert.Contains("EncryptedData", keys[0]);
        Assert.DoesNotContain("<masterKey", keys[0]);

        await using (var second = Instance(withCertificate))
            Assert.Equal("令牌 token", second.GetRequiredService<IDataProtectionProvider>().CreateProtector("antiforgery").Unprotect(token));

        // An instance without the certificate cannot decrypt the stored key.
        await using var without = Instance();
        Assert.ThrowsAny<CryptographicException>(() => without.GetRequiredService<IDataProtectionProvider>().CreateProtector("antiforgery").Unprotect(token));
    }

    [Fact]
    public async Task UnreadableCertificate_RefusesTheStartWithItsCode()
    {
        var pfx = Path.Combine(_directory, "wrong.pfx");
        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=wrong", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "right"));
        }
        var wrongPassword = Assert.Throws<PortalStartupException>(() => Instance(new Dictionary<string, string?>
        {
            ["DataProtection:CertificatePath"] = pfx, ["DataProtection:CertificatePassword"] = "wrong",
        }));
        Assert.Equal(ErrorCatalogue.DataProtectionCertificateUnusable, wrongPassword.Code);
        Assert.Contains("[51002]", wrongPassword.Message);
        Assert.Contains(ErrorCatalogue.Get(51002).MessageZh, wrongPassword.Message);
        Assert.Contains(ErrorCatalogue.Get(51002).RemedyEn, wrongPassword.Message);

        var missing = Assert.Throws<PortalStartupException>(() => Instance(new Dictionary<string, string?> { ["DataProtection:CertificatePath"] = "nope.pfx" }));
        Assert.Equal(ErrorCatalogue.DataProtectionCertificateUnusable, missing.Code);
        Assert.Contains("nope.pfx", missing.Message);
    }

    private sealed class Environment(string root) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = Environments.Production;
        public string ApplicationName { get; set; } = "ClassExit.Portal";
        public string ContentRootPath { get; set; } = root;
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
