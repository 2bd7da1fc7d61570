using MudBlazor;

namespace ClassExit.Portal.Components.Layout;

/// <summary>
/// The portal's one MudBlazor theme. Every colour that carries text meets WCAG 2.2 AA (4.5:1) both as white text on the colour
/// (filled buttons, chips) and as the colour on white / the page background (outlined and text buttons, links, alert text):
/// primary 5.75:1, secondary 6.61:1, success 5.13:1, warning 5.55:1, error 5.62:1, info 7.40:1, secondary text 5.9:1 on #fafafa.
/// MudBlazor's defaults (success #00c853 2.23:1, warning #ff9800 2.15:1, error #f44336 3.68:1, info #2196f3 3.12:1) do not.
/// Buttons keep the case they are written in (MudBlazor upper-cases them, which reads as shouting in English and hurts legibility).
/// </summary>
public static class PortalTheme
{
    // One theme for every circuit: it is never changed, and a MudTheme is a few hundred objects (its palettes' colours).
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1565c0",
            Secondary = "#00695c",
            Tertiary = "#6a1b9a",
            Success = "#2e7d32",
            Warning = "#a84f00",
            Error = "#c62828",
            Info = "#01579b",
            AppbarBackground = "#1565c0",
            TextSecondary = "#5f5f5f",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["system-ui", "-apple-system", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "sans-serif"] },
            Button = new ButtonTypography { TextTransform = "none" },
        },
    };
}
