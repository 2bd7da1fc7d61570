using ClassExit.Portal.Domain.Classes;

namespace ClassExit.Portal.Data;

/// <summary>
/// <c>Classes.MemberCount</c>: the class's current members (memberships active or exit pending), maintained by triggers on
/// <c>Memberships</c> in the statement that changes a membership, so every writer (tracked saves, ExecuteUpdate, raw SQL) keeps it
/// and concurrent writers cannot lose an increment (<c>MemberCount = MemberCount ± n</c> under the row's write lock). Created by
/// migration <c>PerfCounts</c> on both providers, which also fills the column for existing rows; a regenerated migration must call
/// <see cref="CreateSql"/> again (the tests compare the column with a count and fail without the triggers).
/// </summary>
public static class MemberCounts
{
    public const string Column = "MemberCount";
    public const string SqlServerTrigger = "TR_Memberships_MemberCount";

    private static readonly string Current = $"({(int)MembershipState.Active}, {(int)MembershipState.ExitPending})";

    private static readonly string Backfill =
        $"UPDATE Classes SET MemberCount = (SELECT COUNT(*) FROM Memberships m WHERE m.ClassId = Classes.Id AND m.State IN {Current});";

    /// <summary>The triggers and the backfill, for <paramref name="sqlServer"/> or SQLite.</summary>
    public static string[] CreateSql(bool sqlServer) => sqlServer
        ?
        [
            // In EXEC: CREATE TRIGGER must open its batch, and the idempotent script wraps every statement in IF … BEGIN … END.
            $"""
            EXEC(N'CREATE TRIGGER [{SqlServerTrigger}] ON [Memberships] AFTER INSERT, UPDATE, DELETE AS
            BEGIN
                SET NOCOUNT ON;
                IF UPDATE([State]) OR UPDATE([ClassId]) OR NOT EXISTS (SELECT 1 FROM inserted) OR NOT EXISTS (SELECT 1 FROM deleted)
                UPDATE c SET [MemberCount] = c.[MemberCount] + d.[Delta]
                FROM [Classes] c
                JOIN (SELECT [ClassId], SUM([Delta]) AS [Delta] FROM (
                        SELECT [ClassId], 1 AS [Delta] FROM inserted WHERE [State] IN {Current}
                        UNION ALL SELECT [ClassId], -1 FROM deleted WHERE [State] IN {Current}) x
                      GROUP BY [ClassId] HAVING SUM([Delta]) <> 0) d ON c.[Id] = d.[ClassId];
            END')
            """,
            Backfill,
        ]
        :
        [
            $"""
            CREATE TRIGGER TR_Memberships_MemberCount_Insert AFTER INSERT ON Memberships WHEN NEW.State IN {Current}
            BEGIN UPDATE Classes SET MemberCount = MemberCount + 1 WHERE Id = NEW.ClassId; END;
            """,
            $"""
            CREATE TRIGGER TR_Memberships_MemberCount_Delete AFTER DELETE ON Memberships WHEN OLD.State IN {Current}
            BEGIN UPDATE Classes SET MemberCount = MemberCount - 1 WHERE Id = OLD.ClassId; END;
            """,
            $"""
            CREATE TRIGGER TR_Memberships_MemberCount_Update AFTER UPDATE OF State, ClassId ON Memberships
            WHEN (OLD.State IN {Current}) <> (NEW.State IN {Current}) OR OLD.ClassId <> NEW.ClassId
            BEGIN
                UPDATE Classes SET MemberCount = MemberCount - 1 WHERE Id = OLD.ClassId AND OLD.State IN {Current};
                UPDATE Classes SET MemberCount = MemberCount + 1 WHERE Id = NEW.ClassId AND NEW.State IN {Current};
            END;
            """,
            Backfill,
        ];

    public static string[] DropSql(bool sqlServer) => sqlServer
        ? [$"DROP TRIGGER [{SqlServerTrigger}];"]
        : ["DROP TRIGGER TR_Memberships_MemberCount_Insert;", "DROP TRIGGER TR_Memberships_MemberCount_Delete;", "DROP TRIGGER TR_Memberships_MemberCount_Update;"];
}
