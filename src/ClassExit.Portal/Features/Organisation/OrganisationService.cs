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

    public async Task<OrganisationInfo> GetCurrentAsync(CancellationToken ct = default)
    {
        if (_cached is not null) return _cached;
        await using var db = await tenantDb.CreateAsync(ct);
        var user = await tenantDb.UserAsync();
        _cached = await db.Organisations.AsNoTracking().Where(o => o.Id == user.OrganisationId)
            .Select(o => new OrganisationInfo(o.Id, o.Name, o.Kind, o.TimeZoneId, o.Policy)).SingleAsync(ct);
        return _cached;
    }
}
