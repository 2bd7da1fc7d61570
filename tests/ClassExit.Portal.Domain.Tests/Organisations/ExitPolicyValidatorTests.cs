using ClassExit.Portal.Domain.Organisations;

namespace ClassExit.Portal.Domain.Tests.Organisations;

public sealed class ExitPolicyValidatorTests
{
    [Fact]
    public void The_default_policy_is_valid() => Assert.Empty(ExitPolicyValidator.Validate(new ExitPolicy()));

    [Theory]
    [InlineData("3.1")]
    [InlineData("3.1.x")]
    [InlineData("")]
    [InlineData("v3.1.10")]
    public void A_malformed_minimum_version_is_named(string version) =>
        Assert.Equal([PolicyViolation.MinimumClientVersionFormat], ExitPolicyValidator.Validate(new ExitPolicy { MinimumClientVersion = version }));

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, false)]
    [InlineData(720, false)]
    [InlineData(721, true)]
    public void The_approval_sla_is_one_to_720_hours(int hours, bool invalid) =>
        Assert.Equal(invalid, ExitPolicyValidator.Validate(new ExitPolicy { ApprovalSlaHours = hours }).Contains(PolicyViolation.ApprovalSlaRange));

    [Theory]
    [InlineData(-1, true)]
    [InlineData(0, false)]
    [InlineData(60, false)]
    [InlineData(61, true)]
    public void The_freeze_window_is_zero_to_sixty_days(int days, bool invalid) =>
        Assert.Equal(invalid, ExitPolicyValidator.Validate(new ExitPolicy { FreezeWindowDays = days }).Contains(PolicyViolation.FreezeWindowRange));

    [Fact]
    public void Retention_is_at_least_one_day_or_never_for_admins()
    {
        var errors = ExitPolicyValidator.Validate(new ExitPolicy { StudentRetentionDays = 0, TeacherRetentionDays = 0, ClassifiedRetentionDays = 0, AdminRetentionDays = 0 });
        Assert.Equal([PolicyViolation.StudentRetentionRange, PolicyViolation.TeacherRetentionRange, PolicyViolation.AdminRetentionRange,
            PolicyViolation.ClassifiedRetentionRange], errors);
        Assert.Empty(ExitPolicyValidator.Validate(new ExitPolicy { AdminRetentionDays = null }));
    }

    [Fact]
    public void Retention_is_at_most_a_hundred_years() =>
        Assert.Equal([PolicyViolation.RetentionTooLong], ExitPolicyValidator.Validate(new ExitPolicy { StudentRetentionDays = 36501 }));

    [Fact]
    public void Clock_skew_is_zero_to_an_hour() =>
        Assert.Equal([PolicyViolation.ClockSkewRange], ExitPolicyValidator.Validate(new ExitPolicy { AllowedClockSkewSeconds = 3601 }));
}
