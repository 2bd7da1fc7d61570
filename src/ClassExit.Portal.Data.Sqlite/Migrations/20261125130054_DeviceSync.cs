using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ClassExit.Portal.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class DeviceSync : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "DeviceSyncSamples",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    DeviceId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    NetworkClass = table.Column<int>(type: "INTEGER", nullable: false),
                    Version = table.Column<long>(type: "INTEGER", nullable: false),
                    ChangedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    AcknowledgedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    SyncMilliseconds = table.Column<long>(type: "INTEGER", nullable: false),
                    WasStale = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DeviceSyncSamples", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "MembershipChanges",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Version = table.Column<long>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<long>(type: "INTEGER", nullable: true),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    ChangedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MembershipChanges", x => x.Id);
                    table.ForeignKey(
                        name: "FK_MembershipChanges_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Devices_IsStale_NetworkClass_MemberId",
                table: "Devices",
                columns: new[] { "IsStale", "NetworkClass", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_DeviceSyncSamples_DeviceId_Version",
                table: "DeviceSyncSamples",
                columns: new[] { "DeviceId", "Version" });

            migrationBuilder.CreateIndex(
                name: "IX_DeviceSyncSamples_OrganisationId_AcknowledgedAt",
                table: "DeviceSyncSamples",
                columns: new[] { "OrganisationId", "AcknowledgedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_MembershipChanges_MemberId_Version",
                table: "MembershipChanges",
                columns: new[] { "MemberId", "Version" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_MembershipChanges_OrganisationId_ChangedAt",
                table: "MembershipChanges",
                columns: new[] { "OrganisationId", "ChangedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DeviceSyncSamples");

            migrationBuilder.DropTable(
                name: "MembershipChanges");

            migrationBuilder.DropIndex(
                name: "IX_Devices_IsStale_NetworkClass_MemberId",
                table: "Devices");
        }
    }
}
