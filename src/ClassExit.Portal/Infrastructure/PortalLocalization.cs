using System.Globalization;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using Microsoft.AspNetCore.Localization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using MudBlazor;

namespace ClassExit.Portal.Infrastructure;

/// <summary>
/// zh-CN and en: the request's culture comes from the culture cookie (set by the switcher, and at sign-in from the user's stored
/// preference), else from the browser's Accept-Language, else zh-CN. A Blazor circuit keeps the culture of the request that started it.
/// </summary>
public static class PortalLocalization
{
    public static readonly string[] Cultures = ["zh-CN", "en"];

    public static IServiceCollection AddPortalLocalization(this IServiceCollection services)
    {
        services.AddLocalization(o => o.ResourcesPath = "Resources");
        services.AddTransient<MudLocalizer, PortalMudLocalizer>();
        return services;
    }

    public static void UsePortalLocalization(this WebApplication app) =>
        app.UseRequestLocalization(o =>
        {
            o.SetDefaultCulture(Cultures[0]).AddSupportedCultures(Cultures).AddSupportedUICultures(Cultures);
            o.FallBackToParentCultures = true;
            o.FallBackToParentUICultures = true;
        });

    /// <summary><c>/culture/set?culture=en&amp;redirectUri=/classes</c>: the app bar's switcher; stored per user when signed in.</summary>
    public static void MapCultureSwitch(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/culture/set", async (HttpContext http, string culture, string? redirectUri, IDbContextFactory<PortalDbContext> factory) =>
        {
            if (!Cultures.Contains(culture)) culture = Cultures[0];
            WriteCookie(http, culture);
            if (http.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value is { } userId)
            {
                await using var db = (await factory.CreateDbContextAsync()).ForSystem();
                await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.PreferredCulture, culture));
            }
            return Results.LocalRedirect(string.IsNullOrEmpty(redirectUri) || !redirectUri.StartsWith('/') ? "/" : redirectUri);
        }).AllowAnonymous().ExcludeFromDescription();

    public static void WriteCookie(HttpContext http, string culture) =>
        http.Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName,
            CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)),
            new CookieOptions { Expires = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().AddYears(1), IsEssential = true, HttpOnly = true, SameSite = SameSiteMode.Lax });

    public static bool IsChinese => CultureInfo.CurrentUICulture.Name.StartsWith("zh", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// MudBlazor's own texts (pager, date picker, grid menus) from the portal's resource files, keys <c>Mud.&lt;MudBlazor key&gt;</c>;
/// a key the portal does not carry falls back to MudBlazor's built-in English.
/// </summary>
internal sealed class PortalMudLocalizer : MudLocalizer
{
    public override LocalizedString this[string key]
    {
        get
        {
            var ours = $"Mud.{key}";
            return Text.Exists(ours)
                ? new LocalizedString(key, Text.Get(ours))
                : new LocalizedString(key, key, resourceNotFound: true);
        }
    }
}
