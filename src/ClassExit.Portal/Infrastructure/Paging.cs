namespace ClassExit.Portal.Infrastructure;

/// <summary>One page of rows and the total count, for server-paged grids and the API.</summary>
public sealed record PagedResult<T>(IReadOnlyList<T> Items, int Total);

/// <summary>Paging and sorting asked by a grid or an API call. Page is 1-based.</summary>
public sealed record PageRequest(int Page = 1, int PageSize = 50, string? SortBy = null, bool Descending = false)
{
    public const int MaxPageSize = 200;

    public bool IsValid => Page >= 1 && PageSize is >= 1 and <= MaxPageSize;

    public int Skip => (Page - 1) * PageSize;
}
