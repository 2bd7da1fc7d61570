using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ClassExit.Portal.Data.SqlServer.Migrations
{
    /// <inheritdoc />
    public partial class ScaleIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_Classes_OrganisationId_TermEndsOn",
                table: "Classes",
                columns: new[] { "OrganisationId", "TermEndsOn" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_OrganisationId_ActorMemberId_Id",
                table: "AuditEntries",
                columns: new[] { "OrganisationId", "ActorMemberId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_OrganisationId_TargetType_TargetId",
                table: "AuditEntries",
                columns: new[] { "OrganisationId", "TargetType", "TargetId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Classes_OrganisationId_TermEndsOn",
                table: "Classes");

            migrationBuilder.DropIndex(
                name: "IX_AuditEntries_OrganisationId_ActorMemberId_Id",
                table: "AuditEntries");

            migrationBuilder.DropIndex(
                name: "IX_AuditEntries_OrganisationId_TargetType_TargetId",
                table: "AuditEntries");
        }
    }
}
