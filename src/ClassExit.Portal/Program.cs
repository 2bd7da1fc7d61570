using ClassExit.Portal.Components;
using ClassExit.Portal.Features;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.Retention;
using ClassExit.Portal.Features.Users;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
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
builder.Services.AddPortalJobs(builder.Configuration);
builder.Services.AddPortalApi();
builder.Services.AddPortalFeatures();
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
app.MapChatExport();
app.MapAuditExport();
app.MapAuditCheckpoints();
app.MapPortalJobsDashboard();
app.MapPortalObservability();
app.MapCspReports();
app.MapDevelopmentDiagnostics();

// Audit keys first: no audit entry can be written without them (ADR 0010).
app.Services.GetRequiredService<AuditKeyRing>().EnsureLoaded();
await app.InitialisePortalDatabaseAsync();
if (await FirstAdminCommand.TryRunAsync(app, args)) return;
app.RegisterPortalRecurringJobs();
app.Run();
