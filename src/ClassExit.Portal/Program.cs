using ClassExit.Portal.Components;
using ClassExit.Portal.Features;
using ClassExit.Portal.Features.ApiKeys;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.BulkExits;
using ClassExit.Portal.Features.Classes;
using ClassExit.Portal.Features.Dashboard;
using ClassExit.Portal.Features.DeviceSync;
using ClassExit.Portal.Features.ExitPolicies;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Features.JobRuns;
using ClassExit.Portal.Features.Members;
using ClassExit.Portal.Features.Notifications;
using ClassExit.Portal.Features.Organisation;
using ClassExit.Portal.Features.Ownership;
using ClassExit.Portal.Features.ReasonCodes;
using ClassExit.Portal.Features.Retention;
using ClassExit.Portal.Features.Users;
using ClassExit.Portal.Features.Webhooks;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using ClassExit.Portal.Infrastructure.DataProtection;
using ClassExit.Portal.Infrastructure.Schema;
using ClassExit.Portal.Infrastructure.Diagnostics;
using ClassExit.Portal.Infrastructure.Identity;
using ClassExit.Portal.Infrastructure.Observability;
using ClassExit.Portal.Infrastructure.Security;
using MudBlazor.Services;

var builder = WebApplication.CreateBuilder(args);
builder.AddRequestBodyLimits();
builder.AddPortalObservability();
builder.Services.AddPortalSecurity(builder.Configuration);

builder.Services.AddRazorComponents().AddInteractiveServerComponents();
// Snackbars bottom right: at the top they cover the page's own action buttons.
builder.Services.AddMudServices(c => c.SnackbarConfiguration.PositionClass = MudBlazor.Defaults.Classes.Position.BottomRight);
builder.Services.AddPortalLocalization();
builder.Services.AddPortalData(builder.Configuration, builder.Environment);
builder.Services.AddPortalIdentity();
builder.Services.AddPlatformHome();
builder.Services.AddPortalJobs(builder.Configuration, builder.Environment);
builder.Services.AddPortalDataProtection(builder.Configuration, builder.Environment);
builder.Services.AddPortalApi();
builder.Services.AddPortalFeatures(builder.Configuration, ClassExit.Portal.PortalFeatureList.All);
builder.Services.AddDevelopmentDiagnostics(builder.Environment);

var app = builder.Build();

app.UsePortalForwardedHeaders();
app.UsePortalSecurityHeaders();
if (app.Environment.IsDevelopment())
{
    app.UseMigrationsEndPoint();
}
else
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
    app.UsePortalHttps();
}
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.UsePortalLocalization();
app.UseRequestBodyLimits();
app.UseAuthentication();
app.UseMustChangePassword();
app.UseAuthorization();
app.UsePortalRateLimits();
app.UseTwoFactorEnrolment();
app.UseAntiforgery();

app.MapStaticAssets().AllowAnonymous();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode().AllowAnonymousFrameworkEndpoints();
app.MapAdditionalIdentityEndpoints();
app.MapCultureSwitch();
app.MapPortalApi();
app.MapPortalFeatures();
app.MapPortalJobsDashboard();
app.MapPortalObservability();
app.MapCspReports();
app.MapDevelopmentDiagnostics();

// `migrate` (ADR 0012) changes the schema with the privileged connection and exits, before anything reads the database.
if (await PortalMigrations.TryRunCommandAsync(app, args)) return;
// Audit keys first: no audit entry can be written without them (ADR 0010).
app.Services.GetRequiredService<AuditKeyRing>().EnsureLoaded();
try
{
    await app.InitialisePortalDatabaseAsync();
}
catch (PortalStartupException refused)
{
    // A schema behind this version (51001): the catalogue text on the console, exit code 1, no stack trace.
    refused.Report(app.Logger);
    return;
}
if (await FirstAdminCommand.TryRunAsync(app, args)) return;
app.RegisterPortalRecurringJobs();
app.Run();

namespace ClassExit.Portal
{
    public static class PortalFeatureList
    {
        /// <summary>
        /// The portal's features, one line each: each wires its own services, endpoints and jobs in
        /// <c>Features/&lt;Area&gt;/&lt;Area&gt;Feature.cs</c> (ADR 0013). Adding a feature is its folder and one line here.
        /// </summary>
        public static IReadOnlyList<IPortalFeature> All { get; } =
        [
            new AuditFeature(),
            new NotificationsFeature(),
            new OrganisationFeature(),
            new ClassesFeature(),
            new MembersFeature(),
            new DashboardFeature(),
            new ExitPoliciesFeature(),
            new ExitRequestsFeature(),
            new OwnershipFeature(),
            new BulkExitsFeature(),
            new ReasonCodesFeature(),
            new DeviceSyncFeature(),
            new RetentionFeature(),
            new ApiKeysFeature(),
            new UsersFeature(),
            new JobRunsFeature(),
            new WebhooksFeature(),
        ];
    }
}
