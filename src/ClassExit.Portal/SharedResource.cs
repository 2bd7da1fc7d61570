namespace ClassExit.Portal;

/// <summary>Marker for the portal's shared resource files (Resources/SharedResource.*.resx): en is the neutral file, zh-CN the other.</summary>
public sealed class SharedResource;
