using Microsoft.AspNetCore.Identity;

namespace ClassExit.Portal.Data.Identity;

/// <summary>
/// One place that configures Identity. The Identity model depends on <see cref="IdentityOptions"/> (schema version),
/// so test contexts must see the same options as the app, or they report pending model changes.
/// </summary>
public static class PortalIdentityOptions
{
    public const int MaxFailedAccessAttempts = 5;
    public const int MinimumPasswordLength = 10;

    public static void Configure(IdentityOptions options)
    {
        options.SignIn.RequireConfirmedAccount = false;
        options.Stores.SchemaVersion = IdentitySchemaVersions.Version3;
        options.Lockout.AllowedForNewUsers = true;
        options.Lockout.MaxFailedAccessAttempts = MaxFailedAccessAttempts;
        options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
        options.Password.RequiredLength = MinimumPasswordLength;
        options.User.RequireUniqueEmail = true;
    }
}
