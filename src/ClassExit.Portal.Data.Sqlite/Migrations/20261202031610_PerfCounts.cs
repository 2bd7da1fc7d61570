using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ClassExit.Portal.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class PerfCounts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "MemberCount",
                table: "Classes",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "AuditChainVerifications",
                columns: table => new
                {
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    VerifiedSequence = table.Column<long>(type: "INTEGER", nullable: false),
                    VerifiedEntryId = table.Column<long>(type: "INTEGER", nullable: true),
                    VerifiedHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    VerifiedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    SweepSequence = table.Column<long>(type: "INTEGER", nullable: false),
                    SweepStartedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    SweptAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditChainVerifications", x => x.OrganisationId);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Classes_OrganisationId_MemberCount",
                table: "Classes",
                columns: new[] { "OrganisationId", "MemberCount" });

            // Classes.MemberCount is kept by triggers on Memberships (hand-written: keep this when regenerating the migration).
            foreach (var sql in MemberCounts.CreateSql(sqlServer: false))
                migrationBuilder.Sql(sql);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var sql in MemberCounts.DropSql(sqlServer: false))
                migrationBuilder.Sql(sql);

            migrationBuilder.DropTable(
                name: "AuditChainVerifications");

            migrationBuilder.DropIndex(
                name: "IX_Classes_OrganisationId_MemberCount",
                table: "Classes");

            migrationBuilder.DropColumn(
                name: "MemberCount",
                table: "Classes");
        }
    }
}
