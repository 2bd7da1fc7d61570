namespace ClassExit.Portal.Domain.Organisations;

/// <summary>The kind of organisation; it decides which demo policies are typical.</summary>
public enum OrganisationKind
{
    Enterprise = 0,
    Education = 1,
    Finance = 2,
    Government = 3,
}

/// <summary>A tenant: a school or enterprise with its own members, classes and exit policies.</summary>
/// <summary>Who must sign in with a second factor (an authenticator app), by the organisation's choice. Platform operators always must.</summary>
public enum TwoFactorRequirement
{
    /// <summary>Optional for everyone (each user may still enrol).</summary>
    Nobody = 0,
    EnterpriseAdmins = 1,
    /// <summary>Enterprise admins and HR operators.</summary>
    AdminsAndHr = 2,
    Everyone = 3,
}

public sealed class Organisation
{
    private Organisation() { }

    public Organisation(string name, string timeZoneId, OrganisationKind kind, ExitPolicy? policy = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(timeZoneId);
        Name = name;
        TimeZoneId = timeZoneId;
        Kind = kind;
        Policy = policy ?? new ExitPolicy();
    }

    public long Id { get; private set; }
    public string Name { get; private set; } = "";
    /// <summary>IANA time zone id, e.g. <c>Asia/Shanghai</c>; every time shown to users is in this zone.</summary>
    public string TimeZoneId { get; private set; } = "Asia/Shanghai";
    public OrganisationKind Kind { get; private set; }
    public ExitPolicy Policy { get; private set; } = new();
    /// <summary>Who must sign in with an authenticator code in this organisation.</summary>
    public TwoFactorRequirement TwoFactorRequiredFor { get; private set; }

    public void RequireTwoFactorFor(TwoFactorRequirement requirement) => TwoFactorRequiredFor = requirement;

    public void ReplacePolicy(ExitPolicy policy) => Policy = policy ?? throw new ArgumentNullException(nameof(policy));

    public TimeZoneInfo TimeZone => TimeZoneInfo.FindSystemTimeZoneById(TimeZoneId);

    /// <summary>The organisation's local calendar date at <paramref name="utcNow"/>.</summary>
    public DateOnly LocalDate(DateTimeOffset utcNow) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(utcNow, TimeZone).DateTime);
}
