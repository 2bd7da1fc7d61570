using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Ownership;

namespace ClassExit.Portal.Features.Ownership;

public sealed record OwnershipResult(bool Succeeded, int? Code, long? TransferId = null)
{
    public static OwnershipResult Ok(long? id = null) => new(true, null, id);
    public static OwnershipResult Fail(int code) => new(false, code);
}

/// <param name="Email">Shown beside the name, so two people of the same name are told apart.</param>
public sealed record TransferCandidate(long MemberId, string DisplayName, ClassRole Role, string? Email = null, string? EmployeeNo = null);

public sealed record TransferableDuty(DutyKind Kind, long Id, string Title);

public sealed record TransferRow(long Id, long ClassId, string ClassName, long FromMemberId, string FromName, long ToMemberId, string ToName,
    string ProposedByName, string? Message, IReadOnlyList<(DutyKind Kind, long Id)> Duties, TransferStatus Status, DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt, DateTimeOffset? DecidedAt, int Version, long ProposedByMemberId = 0)
{
    /// <summary>What <paramref name="actor"/> may do with this transfer, by the same rules the service applies.</summary>
    public (bool Answer, bool Cancel) PermissionsOf(AccessActor actor)
    {
        var target = new AccessTarget(ClassId, null, ToMemberId, ProposedByMemberId, ToMemberId, FromMemberId);
        return (AccessRules.Decide(actor, PortalAction.AnswerTransfer, target).Allowed, AccessRules.Decide(actor, PortalAction.CancelTransfer, target).Allowed);
    }
}

public sealed record AtRiskClass(long ClassId, string ClassName, long OwnerMemberId, string OwnerName, ResignationState Resignation, int ActiveMembers,
    bool HasPendingTransfer);

public sealed record DissolvePreview(long ClassId, string ClassName, int MembersLeaving, int MessagesKept30Days, int MessagesKept90Days,
    int MessagesKeptLonger, int PendingExitsCancelled, bool PendingTransferCancelled);
