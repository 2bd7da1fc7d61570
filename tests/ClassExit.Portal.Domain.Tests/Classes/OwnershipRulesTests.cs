using System.Reflection;
using ClassExit.Portal.Domain.Classes;

namespace ClassExit.Portal.Domain.Tests.Classes;

public class OwnershipRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 8, 0, 0, TimeSpan.Zero);

    private static (ClassGroup Class, Membership Owner, Membership Teacher, Membership Student) Setup()
    {
        var c = new ClassGroup(1, "高一(1)班", ownerMemberId: 100, new DateOnly(2027, 1, 15), Now);
        SetId(c, 10);
        return (c, new Membership(1, 10, 100, ClassRole.Owner, Now), new Membership(1, 10, 200, ClassRole.Teacher, Now),
            new Membership(1, 10, 300, ClassRole.Student, Now));
    }

    private static void SetId(ClassGroup c, long id) =>
        typeof(ClassGroup).GetProperty(nameof(ClassGroup.Id))!.SetValue(c, id, BindingFlags.NonPublic | BindingFlags.Instance, null, null, null);

    [Fact]
    public void TransferOwnership_ToTeacher_RolesSwapAndClassRecordsNewOwner()
    {
        var (c, owner, teacher, _) = Setup();
        OwnershipRules.TransferOwnership(c, owner, teacher);
        Assert.Equal(ClassRole.Teacher, owner.Role);
        Assert.Equal(ClassRole.Owner, teacher.Role);
        Assert.Equal(200, c.OwnerMemberId);
    }

    [Fact]
    public void TransferOwnership_ToStudent_Throws()
    {
        var (c, owner, _, student) = Setup();
        Assert.Throws<InvalidOperationException>(() => OwnershipRules.TransferOwnership(c, owner, student));
        Assert.Equal(ClassRole.Owner, owner.Role);
    }

    [Fact]
    public void TransferOwnership_FromNonOwner_Throws()
    {
        var (c, _, teacher, student) = Setup();
        Assert.Throws<InvalidOperationException>(() => OwnershipRules.TransferOwnership(c, teacher, student));
    }

    [Fact]
    public void TransferOwnership_ToLeftTeacher_Throws()
    {
        var (c, owner, teacher, _) = Setup();
        teacher.Leave(Now, forced: false);
        Assert.Throws<InvalidOperationException>(() => OwnershipRules.TransferOwnership(c, owner, teacher));
    }
}
