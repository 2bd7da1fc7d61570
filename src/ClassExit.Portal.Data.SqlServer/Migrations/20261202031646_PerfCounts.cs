using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ClassExit.Portal.Data.SqlServer.Migrations
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
                type: "int",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "AuditChainVerifications",
                columns: table => new
                {
                    OrganisationId = table.Column<long>(type: "bigint", nullable: false),
                    VerifiedSequence = table.Column<long>(type: "bigint", nullable: false),
                    VerifiedEntryId = table.Column<long>(type: "bigint", nullable: true),
                    VerifiedHash = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: true),
                    VerifiedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true),
                    SweepSequence = table.Column<long>(type: "bigint", nullable: false),
                    SweepStartedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true),
                    SweptAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true)
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
            foreach (var sql in MemberCounts.CreateSql(sqlServer: true))
                migrationBuilder.Sql(sql);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var sql in MemberCounts.DropSql(sqlServer: true))
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
