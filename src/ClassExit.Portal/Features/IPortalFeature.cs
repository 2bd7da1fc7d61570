using Hangfire;

namespace ClassExit.Portal.Features;

/// <summary>
/// One capability of the portal, wired in its own folder (ADR 0013): its services and options, its endpoints, its recurring jobs.
/// Program.cs lists the features, one line each; nothing outside the feature's folder names its services.
/// Pages need no wiring: routable components are found in the assembly.
/// </summary>
public interface IPortalFeature
{
    /// <summary>Services, options (bound to the feature's own configuration section) and HTTP clients.</summary>
    void AddServices(IServiceCollection services, IConfiguration configuration);

    /// <summary>Endpoints. REST endpoints go on <see cref="Infrastructure.PortalApi.ApiGroup"/> (<c>/api/v1</c>, API clients only).</summary>
    void MapEndpoints(WebApplication app) { }

    /// <summary>Recurring jobs, with explicit ids (re-registered at every start: in-memory job storage forgets them).</summary>
    void ScheduleJobs(IServiceProvider services, IRecurringJobManager jobs) { }
}

/// <summary>The features of this portal, in the order they are wired.</summary>
public static class PortalFeatureWiring
{
    public static IServiceCollection AddPortalFeatures(this IServiceCollection services, IConfiguration configuration,
        IReadOnlyList<IPortalFeature> features)
    {
        services.AddSingleton(features);
        foreach (var feature in features)
            feature.AddServices(services, configuration);
        return services;
    }

    public static void MapPortalFeatures(this WebApplication app)
    {
        foreach (var feature in app.Services.GetRequiredService<IReadOnlyList<IPortalFeature>>())
            feature.MapEndpoints(app);
    }

    public static void SchedulePortalFeatureJobs(this IServiceProvider services)
    {
        var jobs = services.GetRequiredService<IRecurringJobManager>();
        foreach (var feature in services.GetRequiredService<IReadOnlyList<IPortalFeature>>())
            feature.ScheduleJobs(services, jobs);
    }

    /// <summary>A recurring job on a UTC cron (every portal schedule is UTC; the organisation's zone is applied inside the job).</summary>
    public static void Every<TJob>(this IRecurringJobManager jobs, string id, string cron, System.Linq.Expressions.Expression<Func<TJob, Task>> run) =>
        jobs.AddOrUpdate(id, run, cron, new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });

    /// <summary>The options a feature registered, read while its jobs are scheduled.</summary>
    public static T Options<T>(this IServiceProvider services) where T : class =>
        services.GetRequiredService<Microsoft.Extensions.Options.IOptions<T>>().Value;

    /// <summary>Options bound to their section, validated by data annotations at start.</summary>
    public static IServiceCollection AddValidatedOptions<T>(this IServiceCollection services, string section) where T : class
    {
        services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }
}
