namespace ClassExit.Portal.Domain.Classes;

/// <summary>The one place where a class changes owner, so that it always has exactly one.</summary>
public static class OwnershipRules
{
    /// <summary>Swaps owner: the old owner becomes a teacher, the new one the owner, and the class records it.</summary>
    public static void TransferOwnership(ClassGroup classGroup, Membership currentOwner, Membership newOwner) =>
        TransferOwnershipAsync(classGroup, currentOwner, newOwner, () => Task.CompletedTask).GetAwaiter().GetResult();

    /// <summary>
    /// The same swap, letting the caller persist the demotion before the promotion: a database that checks "one owner per class"
    /// statement by statement never sees two owners (inside the caller's transaction there is briefly none).
    /// </summary>
    public static async Task TransferOwnershipAsync(ClassGroup classGroup, Membership currentOwner, Membership newOwner, Func<Task> persistDemotion)
    {
        if (currentOwner.ClassId != classGroup.Id || newOwner.ClassId != classGroup.Id)
            throw new InvalidOperationException("Both memberships must belong to the class.");
        if (currentOwner.Role != ClassRole.Owner || currentOwner.MemberId != classGroup.OwnerMemberId)
            throw new InvalidOperationException("The current owner membership does not own the class.");
        if (newOwner.State != MembershipState.Active || newOwner.Role is not (ClassRole.Teacher or ClassRole.ClassAdmin))
            throw new InvalidOperationException("The new owner must be an active teacher or class admin.");
        currentOwner.ChangeRole(ClassRole.Teacher);
        await persistDemotion();
        newOwner.ChangeRole(ClassRole.Owner);
        classGroup.SetOwner(newOwner.MemberId);
    }
}
