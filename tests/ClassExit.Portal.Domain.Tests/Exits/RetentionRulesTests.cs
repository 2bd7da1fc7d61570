using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Exits.Policy;
using ClassExit.Portal.Domain.Organisations;

namespace ClassExit.Portal.Domain.Tests.Exits;

public class RetentionRulesTests
{
    private static readonly DateTimeOffset LeftAt = new(2026, 11, 25, 8, 0, 0, TimeSpan.Zero);
    private static readonly ExitPolicy Policy = new();

    [Fact]
    public void PurgeAfter_Student_ThirtyDays() =>
        Assert.Equal(LeftAt.AddDays(30), RetentionRules.PurgeAfter(LeftAt, ClassRole.Student, false, Classification.Normal, Policy));

    [Theory]
    [InlineData(ClassRole.Teacher)]
    [InlineData(ClassRole.ClassAdmin)]
    [InlineData(ClassRole.Owner)]
    public void PurgeAfter_TeacherRoles_NinetyDays(ClassRole role) =>
        Assert.Equal(LeftAt.AddDays(90), RetentionRules.PurgeAfter(LeftAt, role, false, Classification.Normal, Policy));

    [Fact]
    public void PurgeAfter_EnterpriseAdmin_KeptForGood() =>
        Assert.Null(RetentionRules.PurgeAfter(LeftAt, ClassRole.Teacher, true, Classification.Normal, Policy));

    [Theory]
    [InlineData(ClassRole.Student, false)]
    [InlineData(ClassRole.Teacher, false)]
    [InlineData(ClassRole.Teacher, true)]
    public void PurgeAfter_ClassifiedClass_ThreeYearsWhateverTheRole(ClassRole role, bool admin) =>
        Assert.Equal(LeftAt.AddDays(1095), RetentionRules.PurgeAfter(LeftAt, role, admin, Classification.Classified, Policy));

    [Fact]
    public void PurgeAfter_OrganisationOverride_Applies() =>
        Assert.Equal(LeftAt.AddDays(7), RetentionRules.PurgeAfter(LeftAt, ClassRole.Student, false, Classification.Normal, Policy with { StudentRetentionDays = 7 }));
}
