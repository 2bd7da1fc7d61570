using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.Organisation;

/// <summary>The signed-in user's organisation as pages need it: name, time zone, policy.</summary>
public sealed record OrganisationInfo(long Id, string Name, OrganisationKind Kind, string TimeZoneId, ExitPolicy Policy)
{
    public TimeZoneInfo TimeZone => TimeZoneInfo.FindSystemTimeZoneById(TimeZoneId);

    public DateOnly Today(DateTimeOffset utcNow) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(utcNow, TimeZone).DateTime);

    /// <summary>A time in the organisation's zone, written as the reader's language writes it ("g": short date and time; "G" with seconds).</summary>
    public string Format(DateTimeOffset? utc, string format = "g") =>
        utc is null ? "—" : TimeZoneInfo.ConvertTime(utc.Value, TimeZone).ToString(format, System.Globalization.CultureInfo.CurrentCulture);
}

public sealed class OrganisationService(TenantDb tenantDb)
{
    private OrganisationInfo? _cached;

    /// <summary>The organisation of the signed-in user; a platform operator has none (only the platform pages are theirs).</summary>
    public async Task<OrganisationInfo> GetCurrentAsync(CancellationToken ct = default) =>
        await FindCurrentAsync(ct) ?? throw new InvalidOperationException("A platform operator belongs to no organisation.");

    /// <summary>Null for a platform operator, who belongs to no organisation (the app bar and the profile show "Platform").</summary>
    public async Task<OrganisationInfo?> FindCurrentAsync(CancellationToken ct = default)
    {
        if (_cached is not null) return _cached;
        var user = await tenantDb.UserAsync();
        if (!user.HasOrganisation) return null;
        await using var db = await tenantDb.CreateAsync(ct);
        _cached = await db.Organisations.AsNoTracking().Where(o => o.Id == user.OrganisationId)
            .Select(o => new OrganisationInfo(o.Id, o.Name, o.Kind, o.TimeZoneId, o.Policy)).SingleAsync(ct);
        return _cached;
    }
}
