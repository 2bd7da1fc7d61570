using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ClassExit.Portal.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class BackgroundBatches : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "RequestJson",
                table: "BatchExits",
                type: "TEXT",
                maxLength: 100000,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_BatchExitItems_BatchExitId_ClassId_MemberId",
                table: "BatchExitItems",
                columns: new[] { "BatchExitId", "ClassId", "MemberId" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_BatchExitItems_BatchExitId_ClassId_MemberId",
                table: "BatchExitItems");

            migrationBuilder.DropColumn(
                name: "RequestJson",
                table: "BatchExits");
        }
    }
}
