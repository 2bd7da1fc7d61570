namespace ClassExit.Portal.Domain.Classes;

public enum ClassRole
{
    Student = 0,
    Teacher = 1,
    ClassAdmin = 2,
    Owner = 3,
}

public enum MembershipState
{
    Active = 0,
    ExitPending = 1,
    Left = 2,
    /// <summary>Removed by force (admin or HR), not by the member.</summary>
    Removed = 3,
}

/// <summary>A member's place in a class. Guards its own state machine.</summary>
public sealed class Membership : ITenantOwned
{
    private Membership() { }

    public Membership(long organisationId, long classId, long memberId, ClassRole role, DateTimeOffset joinedAt)
    {
        OrganisationId = organisationId;
        ClassId = classId;
        MemberId = memberId;
        Role = role;
        JoinedAt = joinedAt;
        State = MembershipState.Active;
    }

    public long Id { get; private set; }
    public long OrganisationId { get; private set; }
    public long ClassId { get; private set; }
    public long MemberId { get; private set; }
    public ClassRole Role { get; private set; }
    public MembershipState State { get; private set; }
    public DateTimeOffset JoinedAt { get; private set; }
    public DateTimeOffset? LeftAt { get; private set; }
    /// <summary>App-managed concurrency token, checked on every update on SQLite as on SQL Server.</summary>
    public int Version { get; private set; }

    public bool IsCurrent => State is MembershipState.Active or MembershipState.ExitPending;

    /// <summary><see cref="IsCurrent"/> as a query: the member is still in the class (an exit may be pending).</summary>
    public static readonly System.Linq.Expressions.Expression<Func<Membership, bool>> Current =
        m => m.State == MembershipState.Active || m.State == MembershipState.ExitPending;

    public void MarkExitPending()
    {
        Require(MembershipState.Active, "only an active membership can have an exit pending");
        State = MembershipState.ExitPending;
        Version++;
    }

    /// <summary>A pending exit was rejected or cancelled: the member stays.</summary>
    public void ReturnToActive()
    {
        Require(MembershipState.ExitPending, "only a pending exit can be withdrawn");
        State = MembershipState.Active;
        Version++;
    }

    /// <param name="now">When the member left.</param>
    /// <param name="forced">Removed by an admin or HR rather than leaving.</param>
    /// <param name="classDissolving">The class is being dissolved: the owner leaves with everyone else.</param>
    public void Leave(DateTimeOffset now, bool forced, bool classDissolving = false)
    {
        if (!IsCurrent) throw new InvalidOperationException($"Membership {Id}: cannot leave from state {State}.");
        if (Role == ClassRole.Owner && !classDissolving)
            throw new InvalidOperationException("The owner cannot leave; transfer ownership or dissolve the class first.");
        State = forced ? MembershipState.Removed : MembershipState.Left;
        LeftAt = now;
        Version++;
    }

    public void ChangeRole(ClassRole role)
    {
        if (!IsCurrent) throw new InvalidOperationException("Only a current member's role can change.");
        Role = role;
        Version++;
    }

    /// <summary>Admin reset of a stuck member (the portal's "force exit"): a half-done exit becomes a clean state.</summary>
    public void ResetState(bool completeExit, DateTimeOffset now)
    {
        if (completeExit)
        {
            State = MembershipState.Removed;
            LeftAt ??= now;
        }
        else if (State == MembershipState.ExitPending)
        {
            State = MembershipState.Active;
        }
        Version++;
    }

    private void Require(MembershipState state, string why)
    {
        if (State != state) throw new InvalidOperationException($"Membership {Id}: {why} (state is {State}).");
    }
}
