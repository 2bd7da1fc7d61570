using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ClassExit.Portal.Tests.Infrastructure;

/// <summary>
/// The portal with a fake clock (idle and absolute session ends, the step-up window) and a tight sign-in limit per account, on
/// its own database: moving its clock must not move the clock of every other test.
/// </summary>
public sealed class SessionPortalFactory : PortalFactory
{
    public const int SignInPerAccountLimit = 3;

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureMore(IWebHostBuilder builder)
    {
        builder.UseSetting("Sessions:SignInPerAccountLimit", SignInPerAccountLimit.ToString());
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}
