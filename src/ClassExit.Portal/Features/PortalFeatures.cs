using ClassExit.Portal.Features.ApiKeys;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Features.Ownership;
using ClassExit.Portal.Features.ExitPolicies;
using ClassExit.Portal.Features.ReasonCodes;
using ClassExit.Portal.Features.Retention;
using ClassExit.Portal.Features.BulkExits;
using ClassExit.Portal.Features.Classes;
using ClassExit.Portal.Features.Dashboard;
using ClassExit.Portal.Features.DeviceSync;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Features.Members;
using ClassExit.Portal.Features.Organisation;
using ClassExit.Portal.Features.Users;

namespace ClassExit.Portal.Features;

/// <summary>Registers every feature's services: one line per capability.</summary>
public static class PortalFeatures
{
    public static IServiceCollection AddPortalFeatures(this IServiceCollection services)
    {
        services.AddSingleton<Notifications.PortalEvents>();
        services.AddScoped<SignInAuditService>();
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.SectionName);
        services.AddSingleton<AuditKeyRing>();
        services.AddSingleton<Domain.Audit.IAuditKeyRing>(sp => sp.GetRequiredService<AuditKeyRing>());
        services.AddSingleton<AuditCheckpoints>();
        services.AddHttpClient(AuditCheckpoints.WebhookClient, c => c.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton<AuditChainService>();
        services.AddScoped<AuditSearchService>();
        services.AddScoped<OrganisationService>();
        services.AddScoped<ClassesService>();
        services.AddScoped<MembersService>();
        services.AddScoped<DashboardService>();
        services.AddSingleton<DashboardCountsCache>();
        services.AddScoped<StepUpVerifier>();
        services.AddScoped<ExitService>();
        services.AddScoped<ExitQueries>();
        services.AddTransient<ExitEscalationJob>();
        services.AddScoped<QuotaService>();
        services.AddScoped<BatchExitService>();
        services.AddScoped<BatchFormService>();
        services.AddTransient<BatchExitJob>();
        services.AddTransient<IdempotencyCleanupJob>();
        services.AddScoped<BatchQueries>();
        services.AddScoped<QuotaRequestsService>();
        services.AddScoped<ApiKeysService>();
        services.AddScoped<UsersService>();
        services.AddScoped<ReasonCodesService>();
        services.AddOptions<OwnershipOptions>().BindConfiguration(OwnershipOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<OwnershipService>();
        services.AddScoped<DissolutionService>();
        services.AddTransient<TransferExpiryJob>();
        services.AddOptions<DeviceSyncOptions>().BindConfiguration(DeviceSyncOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<DeviceSyncService>();
        services.AddScoped<SyncHealthService>();
        services.AddTransient<SyncCheckJob>();
        services.AddTransient<DeviceSimulatorJob>();
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddTransient<RetentionPurgeJob>();
        services.AddScoped<RetentionService>();
        services.AddScoped<JobRuns.JobRunsService>();
        services.AddScoped<ChatExportService>();
        services.AddScoped<PolicyService>();
        services.AddScoped<HandoverChecklistService>();
        services.AddScoped<DeviceBindingService>();
        return services;
    }
}
