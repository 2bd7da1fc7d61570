using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ClassExit.Portal.Data.SqlServer.Migrations
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
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    OrganisationId = table.Column<long>(type: "bigint", nullable: false),
                    DeviceId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    MemberId = table.Column<long>(type: "bigint", nullable: false),
                    NetworkClass = table.Column<int>(type: "int", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false),
                    ChangedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false),
                    AcknowledgedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false),
                    SyncMilliseconds = table.Column<long>(type: "bigint", nullable: false),
                    WasStale = table.Column<bool>(type: "bit", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DeviceSyncSamples", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "MembershipChanges",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    OrganisationId = table.Column<long>(type: "bigint", nullable: false),
                    MemberId = table.Column<long>(type: "bigint", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false),
                    ClassId = table.Column<long>(type: "bigint", nullable: true),
                    Kind = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    ChangedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false)
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
