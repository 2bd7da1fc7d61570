using System.Security.Claims;
using ClassExit.Portal.Components.Account;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Infrastructure.Identity;
using SessionOptions = ClassExit.Portal.Infrastructure.Identity.SessionOptions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Infrastructure;

public static class PortalIdentity
{
    public static IServiceCollection AddPortalIdentity(this IServiceCollection services)
    {
        services.AddCascadingAuthenticationState();
        services.AddScoped<IdentityRedirectManager>();
        services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();
        services.AddHttpContextAccessor();
        services.AddScoped<ICurrentUser, CurrentUser>();
        services.AddScoped<TenantDb>();
        services.AddScoped<Authorization.PortalAuthorizer>();
        services.AddScoped<Authorization.StepUpVerifier>();
        services.AddScoped<TwoFactorRequirements>();

        services.AddAuthentication(options =>
            {
                options.DefaultScheme = IdentityConstants.ApplicationScheme;
                options.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddIdentityCookies();
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddOptions<SessionOptions>().BindConfiguration(SessionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PortalSessionStore>();
        services.AddSingleton<SecurityAudit>();
        services.AddScoped<CircuitHandler, SessionActivityCircuitHandler>();
        services.AddOptions<CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme)
            .Configure<IHostEnvironment, IOptions<SessionOptions>>((o, environment, sessions) =>
            {
                // Outside Development the cookie is __Host- prefixed (no Domain, Path=/, Secure): the demo on plain http in
                // Development keeps working. Sessions:SecureCookie overrides either way.
                var secure = sessions.Value.SecureCookie ?? !environment.IsDevelopment();
                o.LoginPath = "/Account/Login";
                o.AccessDeniedPath = "/Account/AccessDenied";
                o.Cookie.Name = secure ? "__Host-classexit.auth" : "classexit.auth";
                o.Cookie.SecurePolicy = secure ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
                o.Cookie.Path = "/";
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.HttpOnly = true;
                // The server-side session decides idle and absolute ends; the ticket is only a backstop a little later.
                o.SlidingExpiration = false;
                o.ExpireTimeSpan = TimeSpan.FromHours(sessions.Value.AbsoluteHours) + TimeSpan.FromMinutes(sessions.Value.IdleMinutes);
                PortalCookieEvents.Attach(o);
            });
        // A security stamp refresh re-issues the cookie: it stays the same session.
        services.Configure<SecurityStampValidatorOptions>(o => o.OnRefreshingPrincipal = context =>
        {
            if (context.CurrentPrincipal?.FindFirst(PortalClaims.SessionId) is { } sid && context.NewPrincipal?.Identity is ClaimsIdentity identity
                && !identity.HasClaim(c => c.Type == PortalClaims.SessionId))
                identity.AddClaim(new Claim(PortalClaims.SessionId, sid.Value));
            return Task.CompletedTask;
        });

        // An account changed by an admin (role, disabled, signed out everywhere, new password) has a new security stamp: the cookie
        // is checked against it every minute, so a stale cookie is refused within one (the open circuit revalidates as often).
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.FromMinutes(1));
        services.AddIdentityCore<PortalUser>(PortalIdentityOptions.Configure)
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<PortalDbContext>()
            .AddSignInManager<PortalSignInManager>()
            .AddClaimsPrincipalFactory<PortalClaimsPrincipalFactory>()
            .AddErrorDescriber<PortalIdentityErrorDescriber>()
            .AddDefaultTokenProviders()
            .AddPasswordValidator<CommonPasswordValidator>();
        // Recovery codes stored as hashes only (Infrastructure/TwoFactor.cs).
        services.Replace(ServiceDescriptor.Scoped<IUserStore<PortalUser>, PortalUserStore>());
        services.AddPortalRateLimits();
        services.AddPortalAuthorization();
        return services;
    }
}

/// <summary>
/// Adds the organisation and member to the sign-in cookie: the tenant of every query; and <see cref="TwoFactorPolicy.MustEnrolClaim"/>
/// when the user must have a second factor and has none, which keeps them on enrolment (Infrastructure/TwoFactor.cs).
/// </summary>
internal sealed class PortalClaimsPrincipalFactory(UserManager<PortalUser> users, RoleManager<IdentityRole> roles, IOptions<IdentityOptions> options,
    TwoFactorRequirements twoFactor)
    : UserClaimsPrincipalFactory<PortalUser, IdentityRole>(users, roles, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(PortalUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        // Platform operators belong to no organisation: no tenant claim, so no organisation page or query is theirs.
        if (user.OrganisationId is { } organisation) identity.AddClaim(new Claim(PortalClaims.OrganisationId, organisation.ToString()));
        if (user.MemberId is { } member) identity.AddClaim(new Claim(PortalClaims.MemberId, member.ToString()));
        identity.AddClaim(new Claim(PortalClaims.DisplayName, user.DisplayName));
        if (!user.TwoFactorEnabled && await MustHaveTwoFactorAsync(user, identity))
            identity.AddClaim(new Claim(TwoFactorPolicy.MustEnrolClaim, "true"));
        if (user.MustChangePassword) identity.AddClaim(new Claim(Features.Users.MustChangePassword.ClaimType, "true"));
        return identity;
    }

    private Task<bool> MustHaveTwoFactorAsync(PortalUser user, ClaimsIdentity identity) =>
        twoFactor.IsRequiredAsync(user, identity.FindAll(identity.RoleClaimType).Select(c => c.Value).ToList());
}

/// <summary>Disabled accounts cannot sign in.</summary>
internal sealed class PortalSignInManager(UserManager<PortalUser> userManager, IHttpContextAccessor contextAccessor,
    IUserClaimsPrincipalFactory<PortalUser> claimsFactory, IOptions<IdentityOptions> optionsAccessor, ILogger<SignInManager<PortalUser>> logger,
    IAuthenticationSchemeProvider schemes, IUserConfirmation<PortalUser> confirmation)
    : SignInManager<PortalUser>(userManager, contextAccessor, claimsFactory, optionsAccessor, logger, schemes, confirmation)
{
    public override async Task<bool> CanSignInAsync(PortalUser user) => !user.IsDisabled && await base.CanSignInAsync(user);
}

/// <summary>Identity's messages (password rules, wrong password) in the reader's language.</summary>
internal sealed class PortalIdentityErrorDescriber : IdentityErrorDescriber
{
    private static IdentityError Error(string code, params object[] args) =>
        new() { Code = code, Description = Text.Format($"IdentityError.{code}", args) };

    public override IdentityError PasswordMismatch() => Error(nameof(PasswordMismatch));
    public override IdentityError PasswordTooShort(int length) => Error(nameof(PasswordTooShort), length);
    public override IdentityError PasswordRequiresDigit() => Error(nameof(PasswordRequiresDigit));
    public override IdentityError PasswordRequiresLower() => Error(nameof(PasswordRequiresLower));
    public override IdentityError PasswordRequiresUpper() => Error(nameof(PasswordRequiresUpper));
    public override IdentityError PasswordRequiresNonAlphanumeric() => Error(nameof(PasswordRequiresNonAlphanumeric));
    public override IdentityError PasswordRequiresUniqueChars(int uniqueChars) => Error(nameof(PasswordRequiresUniqueChars), uniqueChars);
    public override IdentityError DefaultError() => Error(nameof(DefaultError));
    public override IdentityError ConcurrencyFailure() => Error(nameof(ConcurrencyFailure));
}
