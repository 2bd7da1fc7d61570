namespace ClassExit.Portal.Domain.Organisations;

/// <summary>One of the organisation's 6-digit exit reason codes used by bulk exits.</summary>
public sealed class ReasonCode : ITenantOwned
{
    private ReasonCode() { }

    public ReasonCode(long organisationId, string code, string label)
    {
        if (!IsWellFormed(code)) throw new ArgumentException("A reason code is exactly 6 digits.", nameof(code));
        OrganisationId = organisationId;
        Code = code;
        Label = label;
        Active = true;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public string Code { get; private set; } = "";
    public string Label { get; private set; } = "";
    public bool Active { get; private set; }

    public void Retire() => Active = false;

    public static bool IsWellFormed(string? code) => code is { Length: 6 } && code.All(char.IsAsciiDigit);
}
