using ClassExit.Portal.Components;
using ClassExit.Portal.Features;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.Retention;
using ClassExit.Portal.Features.Users;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using ClassExit.Portal.Infrastructure.DataProtection;
using ClassExit.Portal.Infrastructure.Schema;
using ClassExit.Portal.Infrastructure.Diagnostics;
using ClassExit.Portal.Infrastructure.Identity;
using MudBlazor.Services;

var builder = WebApplication.CreateBuilder(args);
builder.AddRequestBodyLimits();

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
builder.Services.AddPortalFeatures();
builder.Services.AddDevelopmentDiagnostics(builder.Environment);

var app = builder.Build();

if (app.Environment.IsDevelopment())
{
    app.UseMigrationsEndPoint();
}
else
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
    app.UseHsts();
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
app.MapHealthChecks("/health").AllowAnonymous();
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
