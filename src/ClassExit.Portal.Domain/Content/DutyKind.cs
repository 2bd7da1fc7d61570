using System.Linq.Expressions;

namespace ClassExit.Portal.Domain.Content;

/// <summary>What a leaving teacher must hand over.</summary>
public enum DutyKind
{
    Assignment = 0,
    LiveStream = 1,
    Poll = 2,
}
