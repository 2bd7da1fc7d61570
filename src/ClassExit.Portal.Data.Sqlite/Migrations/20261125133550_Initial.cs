using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ClassExit.Portal.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "AspNetRoles",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 400, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    NormalizedName = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    ConcurrencyStamp = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetRoles", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "AspNetUsers",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 400, nullable: false),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: true),
                    DisplayName = table.Column<string>(type: "TEXT", maxLength: 400, nullable: false),
                    PreferredCulture = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    IsDisabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    UserName = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    NormalizedUserName = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    Email = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    NormalizedEmail = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    EmailConfirmed = table.Column<bool>(type: "INTEGER", nullable: false),
                    PasswordHash = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    SecurityStamp = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    ConcurrencyStamp = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    PhoneNumber = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    PhoneNumberConfirmed = table.Column<bool>(type: "INTEGER", nullable: false),
                    TwoFactorEnabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    LockoutEnd = table.Column<long>(type: "INTEGER", nullable: true),
                    LockoutEnabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    AccessFailedCount = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetUsers", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "AuditChainHeads",
                columns: table => new
                {
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    LastSequence = table.Column<long>(type: "INTEGER", nullable: false),
                    LastEntryId = table.Column<long>(type: "INTEGER", nullable: false),
                    LastHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    SealedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditChainHeads", x => x.OrganisationId);
                });

            migrationBuilder.CreateTable(
                name: "AuditEntries",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: true),
                    OccurredAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Action = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Outcome = table.Column<int>(type: "INTEGER", nullable: false),
                    Code = table.Column<int>(type: "INTEGER", nullable: true),
                    ActorUserId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    ActorMemberId = table.Column<long>(type: "INTEGER", nullable: true),
                    ActorName = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    TargetType = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    TargetId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    ClassId = table.Column<long>(type: "INTEGER", nullable: true),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: true),
                    CorrelationId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    IsSecurityEvent = table.Column<bool>(type: "INTEGER", nullable: false),
                    Details = table.Column<string>(type: "TEXT", maxLength: 8000, nullable: true),
                    Sequence = table.Column<long>(type: "INTEGER", nullable: true),
                    PreviousHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditEntries", x => x.Id);
                });

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
                name: "HandoverCompletions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    ChecklistItemId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    CompletedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HandoverCompletions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "IdempotencyRecords",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    Key = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    BodyHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    StatusCode = table.Column<int>(type: "INTEGER", nullable: false),
                    ResponseJson = table.Column<string>(type: "TEXT", maxLength: 1000000, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_IdempotencyRecords", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "LegalHolds",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<long>(type: "INTEGER", nullable: true),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: true),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    PlacedByMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    PlacedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    EndsAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ReleasedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LegalHolds", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Organisations",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    TimeZoneId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    Policy_AdminRetentionDays = table.Column<int>(type: "INTEGER", nullable: true),
                    Policy_AllowedClockSkewSeconds = table.Column<int>(type: "INTEGER", nullable: false),
                    Policy_ApprovalSlaHours = table.Column<int>(type: "INTEGER", nullable: false),
                    Policy_ClassifiedRetentionDays = table.Column<int>(type: "INTEGER", nullable: false),
                    Policy_DailyBatchQuota = table.Column<int>(type: "INTEGER", nullable: false),
                    Policy_DeviceBindingRequired = table.Column<bool>(type: "INTEGER", nullable: false),
                    Policy_ExitRequiresApproval = table.Column<bool>(type: "INTEGER", nullable: false),
                    Policy_FreezeWindowDays = table.Column<int>(type: "INTEGER", nullable: false),
                    Policy_MinimumClientVersion = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Policy_StudentRetentionDays = table.Column<int>(type: "INTEGER", nullable: false),
                    Policy_TeacherRetentionDays = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Organisations", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "PrivateFileTransfers",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    RecipientMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    SenderMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    FileName = table.Column<string>(type: "TEXT", maxLength: 260, nullable: false),
                    SizeBytes = table.Column<long>(type: "INTEGER", nullable: false),
                    ReceivedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Saved = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PrivateFileTransfers", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "RetentionRuns",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    FinishedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Cutoff = table.Column<long>(type: "INTEGER", nullable: false),
                    Trigger = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    State = table.Column<int>(type: "INTEGER", nullable: false),
                    DueAtStart = table.Column<int>(type: "INTEGER", nullable: false),
                    MessagesPurged = table.Column<int>(type: "INTEGER", nullable: false),
                    ReceiptsPurged = table.Column<int>(type: "INTEGER", nullable: false),
                    SkippedForHolds = table.Column<int>(type: "INTEGER", nullable: false),
                    Batches = table.Column<int>(type: "INTEGER", nullable: false),
                    LongestBatchMilliseconds = table.Column<long>(type: "INTEGER", nullable: false),
                    OldestPurgeAfter = table.Column<long>(type: "INTEGER", nullable: true),
                    NewestPurgeAfter = table.Column<long>(type: "INTEGER", nullable: true),
                    IdsDigest = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RetentionRuns", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "SignUpEntries",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Topic = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SignUpEntries", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "AspNetRoleClaims",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RoleId = table.Column<string>(type: "TEXT", maxLength: 400, nullable: false),
                    ClaimType = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    ClaimValue = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetRoleClaims", x => x.Id);
                    table.ForeignKey(
                        name: "FK_AspNetRoleClaims_AspNetRoles_RoleId",
                        column: x => x.RoleId,
                        principalTable: "AspNetRoles",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "AspNetUserClaims",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 400, nullable: false),
                    ClaimType = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    ClaimValue = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetUserClaims", x => x.Id);
                    table.ForeignKey(
                        name: "FK_AspNetUserClaims_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "AspNetUserLogins",
                columns: table => new
                {
                    LoginProvider = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    ProviderKey = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    ProviderDisplayName = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 400, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetUserLogins", x => new { x.LoginProvider, x.ProviderKey });
                    table.ForeignKey(
                        name: "FK_AspNetUserLogins_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "AspNetUserPasskeys",
                columns: table => new
                {
                    CredentialId = table.Column<byte[]>(type: "BLOB", maxLength: 1024, nullable: false),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 400, nullable: false),
                    Data = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetUserPasskeys", x => x.CredentialId);
                    table.ForeignKey(
                        name: "FK_AspNetUserPasskeys_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "AspNetUserRoles",
                columns: table => new
                {
                    UserId = table.Column<string>(type: "TEXT", maxLength: 400, nullable: false),
                    RoleId = table.Column<string>(type: "TEXT", maxLength: 400, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetUserRoles", x => new { x.UserId, x.RoleId });
                    table.ForeignKey(
                        name: "FK_AspNetUserRoles_AspNetRoles_RoleId",
                        column: x => x.RoleId,
                        principalTable: "AspNetRoles",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_AspNetUserRoles_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "AspNetUserTokens",
                columns: table => new
                {
                    UserId = table.Column<string>(type: "TEXT", maxLength: 400, nullable: false),
                    LoginProvider = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Value = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetUserTokens", x => new { x.UserId, x.LoginProvider, x.Name });
                    table.ForeignKey(
                        name: "FK_AspNetUserTokens_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "BatchExits",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    OperatorMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    ApiKeyId = table.Column<long>(type: "INTEGER", nullable: true),
                    ReasonCode = table.Column<string>(type: "TEXT", maxLength: 6, nullable: false),
                    Silent = table.Column<bool>(type: "INTEGER", nullable: false),
                    DryRun = table.Column<bool>(type: "INTEGER", nullable: false),
                    ClassCount = table.Column<int>(type: "INTEGER", nullable: false),
                    MemberCount = table.Column<int>(type: "INTEGER", nullable: false),
                    ItemCount = table.Column<int>(type: "INTEGER", nullable: false),
                    Processed = table.Column<int>(type: "INTEGER", nullable: false),
                    Completed = table.Column<int>(type: "INTEGER", nullable: false),
                    Skipped = table.Column<int>(type: "INTEGER", nullable: false),
                    Refused = table.Column<int>(type: "INTEGER", nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    FinishedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    IdempotencyKey = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BatchExits", x => x.Id);
                    table.ForeignKey(
                        name: "FK_BatchExits_Organisations_OrganisationId",
                        column: x => x.OrganisationId,
                        principalTable: "Organisations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Members",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    DisplayName = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    EmployeeNo = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Email = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    Department = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    OrgRole = table.Column<int>(type: "INTEGER", nullable: false),
                    HasHrPermission = table.Column<bool>(type: "INTEGER", nullable: false),
                    Resignation = table.Column<int>(type: "INTEGER", nullable: false),
                    MembershipVersion = table.Column<long>(type: "INTEGER", nullable: false),
                    MembershipChangedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Members", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Members_Organisations_OrganisationId",
                        column: x => x.OrganisationId,
                        principalTable: "Organisations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "QuotaIncreaseRequests",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    CurrentLimit = table.Column<int>(type: "INTEGER", nullable: false),
                    RequestedLimit = table.Column<int>(type: "INTEGER", nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    RequestedByMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    DecidedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    DecidedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    DecisionNote = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    Version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QuotaIncreaseRequests", x => x.Id);
                    table.ForeignKey(
                        name: "FK_QuotaIncreaseRequests_Organisations_OrganisationId",
                        column: x => x.OrganisationId,
                        principalTable: "Organisations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "QuotaUsages",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    Day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    Used = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QuotaUsages", x => x.Id);
                    table.ForeignKey(
                        name: "FK_QuotaUsages_Organisations_OrganisationId",
                        column: x => x.OrganisationId,
                        principalTable: "Organisations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "ReasonCodes",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    Code = table.Column<string>(type: "TEXT", maxLength: 6, nullable: false),
                    Label = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Active = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReasonCodes", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ReasonCodes_Organisations_OrganisationId",
                        column: x => x.OrganisationId,
                        principalTable: "Organisations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "BatchExitItems",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    BatchExitId = table.Column<long>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    Code = table.Column<int>(type: "INTEGER", nullable: true),
                    ExitRequestId = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BatchExitItems", x => x.Id);
                    table.ForeignKey(
                        name: "FK_BatchExitItems_BatchExits_BatchExitId",
                        column: x => x.BatchExitId,
                        principalTable: "BatchExits",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ApiKeys",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    OwnerMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    KeyHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Prefix = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    RevokedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastUsedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ApiKeys", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ApiKeys_Members_OwnerMemberId",
                        column: x => x.OwnerMemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Classes",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    Classification = table.Column<int>(type: "INTEGER", nullable: false),
                    TermEndsOn = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    ExitLocked = table.Column<bool>(type: "INTEGER", nullable: false),
                    OwnerMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    DissolvedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Classes", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Classes_Members_OwnerMemberId",
                        column: x => x.OwnerMemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_Classes_Organisations_OrganisationId",
                        column: x => x.OrganisationId,
                        principalTable: "Organisations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Devices",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Platform = table.Column<int>(type: "INTEGER", nullable: false),
                    NetworkClass = table.Column<int>(type: "INTEGER", nullable: false),
                    ClientVersion = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    MacAddress = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    IsBound = table.Column<bool>(type: "INTEGER", nullable: false),
                    AcknowledgedVersion = table.Column<long>(type: "INTEGER", nullable: false),
                    AcknowledgedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    IsStale = table.Column<bool>(type: "INTEGER", nullable: false),
                    StaleSinceVersion = table.Column<long>(type: "INTEGER", nullable: true),
                    StaleFlaggedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ResyncRequested = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Devices", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Devices_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
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

            migrationBuilder.CreateTable(
                name: "Announcements",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<long>(type: "INTEGER", nullable: false),
                    AuthorMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    PublishedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Announcements", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Announcements_Classes_ClassId",
                        column: x => x.ClassId,
                        principalTable: "Classes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Assignments",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatorMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    ResponsibleMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    DueAt = table.Column<long>(type: "INTEGER", nullable: false),
                    SubmissionCount = table.Column<int>(type: "INTEGER", nullable: false),
                    GradedCount = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Assignments", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Assignments_Classes_ClassId",
                        column: x => x.ClassId,
                        principalTable: "Classes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "ChatMessages",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<long>(type: "INTEGER", nullable: false),
                    SenderMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Body = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    SentAt = table.Column<long>(type: "INTEGER", nullable: false),
                    PurgeAfter = table.Column<long>(type: "INTEGER", nullable: true),
                    RetainedPermanently = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ChatMessages", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ChatMessages_Classes_ClassId",
                        column: x => x.ClassId,
                        principalTable: "Classes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "ExitRequests",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    RoleAtRequest = table.Column<int>(type: "INTEGER", nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    Channel = table.Column<int>(type: "INTEGER", nullable: false),
                    Verification = table.Column<int>(type: "INTEGER", nullable: false),
                    DeviceId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    RequestedByMemberId = table.Column<long>(type: "INTEGER", nullable: true),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    ReasonCode = table.Column<string>(type: "TEXT", maxLength: 6, nullable: true),
                    Silent = table.Column<bool>(type: "INTEGER", nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    Code = table.Column<int>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    DecidedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    DecidedByMemberId = table.Column<long>(type: "INTEGER", nullable: true),
                    DecisionNote = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    CompletedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Overdue = table.Column<bool>(type: "INTEGER", nullable: false),
                    EscalatedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ExitRequests", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ExitRequests_Classes_ClassId",
                        column: x => x.ClassId,
                        principalTable: "Classes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_ExitRequests_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "HandoverChecklistItems",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ClassId = table.Column<long>(type: "INTEGER", nullable: false),
                    Title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HandoverChecklistItems", x => x.Id);
                    table.ForeignKey(
                        name: "FK_HandoverChecklistItems_Classes_ClassId",
                        column: x => x.ClassId,
                        principalTable: "Classes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LiveReplays",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<long>(type: "INTEGER", nullable: false),
                    LiveStreamId = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatorMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Visibility = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LiveReplays", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LiveReplays_Classes_ClassId",
                        column: x => x.ClassId,
                        principalTable: "Classes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "LiveStreams",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatorMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    HostMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    ScheduledAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LiveStreams", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LiveStreams_Classes_ClassId",
                        column: x => x.ClassId,
                        principalTable: "Classes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Memberships",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Role = table.Column<int>(type: "INTEGER", nullable: false),
                    State = table.Column<int>(type: "INTEGER", nullable: false),
                    JoinedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LeftAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Memberships", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Memberships_Classes_ClassId",
                        column: x => x.ClassId,
                        principalTable: "Classes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_Memberships_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "OwnershipTransfers",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<long>(type: "INTEGER", nullable: false),
                    FromMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    ToMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    ProposedByMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Message = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    DutySelection = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false),
                    DecidedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OwnershipTransfers", x => x.Id);
                    table.ForeignKey(
                        name: "FK_OwnershipTransfers_Classes_ClassId",
                        column: x => x.ClassId,
                        principalTable: "Classes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Polls",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatorMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    OwnerMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    ClosesAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Polls", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Polls_Classes_ClassId",
                        column: x => x.ClassId,
                        principalTable: "Classes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "SharedDocuments",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatorMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    EditMode = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SharedDocuments", x => x.Id);
                    table.ForeignKey(
                        name: "FK_SharedDocuments_Classes_ClassId",
                        column: x => x.ClassId,
                        principalTable: "Classes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "HomeworkSubmissions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<long>(type: "INTEGER", nullable: false),
                    AssignmentId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    SubmittedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HomeworkSubmissions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_HomeworkSubmissions_Assignments_AssignmentId",
                        column: x => x.AssignmentId,
                        principalTable: "Assignments",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "MessageReceipts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    MessageId = table.Column<long>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    ReadAt = table.Column<long>(type: "INTEGER", nullable: false),
                    RepliedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MessageReceipts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_MessageReceipts_ChatMessages_MessageId",
                        column: x => x.MessageId,
                        principalTable: "ChatMessages",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ExitNotifications",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    ExitRequestId = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ExitNotifications", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ExitNotifications_ExitRequests_ExitRequestId",
                        column: x => x.ExitRequestId,
                        principalTable: "ExitRequests",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "HandoverAssignments",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ExitRequestId = table.Column<long>(type: "INTEGER", nullable: false),
                    DutyKind = table.Column<int>(type: "INTEGER", nullable: false),
                    DutyId = table.Column<long>(type: "INTEGER", nullable: false),
                    ToMemberId = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HandoverAssignments", x => x.Id);
                    table.ForeignKey(
                        name: "FK_HandoverAssignments_ExitRequests_ExitRequestId",
                        column: x => x.ExitRequestId,
                        principalTable: "ExitRequests",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ReplayGrants",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganisationId = table.Column<long>(type: "INTEGER", nullable: false),
                    ReplayId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    GrantedByMemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    GrantedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    RevokedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReplayGrants", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ReplayGrants_LiveReplays_ReplayId",
                        column: x => x.ReplayId,
                        principalTable: "LiveReplays",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Announcements_ClassId",
                table: "Announcements",
                column: "ClassId");

            migrationBuilder.CreateIndex(
                name: "IX_ApiKeys_KeyHash",
                table: "ApiKeys",
                column: "KeyHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ApiKeys_OwnerMemberId",
                table: "ApiKeys",
                column: "OwnerMemberId");

            migrationBuilder.CreateIndex(
                name: "IX_AspNetRoleClaims_RoleId",
                table: "AspNetRoleClaims",
                column: "RoleId");

            migrationBuilder.CreateIndex(
                name: "RoleNameIndex",
                table: "AspNetRoles",
                column: "NormalizedName",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_AspNetUserClaims_UserId",
                table: "AspNetUserClaims",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_AspNetUserLogins_UserId",
                table: "AspNetUserLogins",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_AspNetUserPasskeys_UserId",
                table: "AspNetUserPasskeys",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_AspNetUserRoles_RoleId",
                table: "AspNetUserRoles",
                column: "RoleId");

            migrationBuilder.CreateIndex(
                name: "EmailIndex",
                table: "AspNetUsers",
                column: "NormalizedEmail");

            migrationBuilder.CreateIndex(
                name: "UserNameIndex",
                table: "AspNetUsers",
                column: "NormalizedUserName",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Assignments_ClassId_CreatorMemberId",
                table: "Assignments",
                columns: new[] { "ClassId", "CreatorMemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_Assignments_ClassId_ResponsibleMemberId",
                table: "Assignments",
                columns: new[] { "ClassId", "ResponsibleMemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_Hash",
                table: "AuditEntries",
                column: "Hash");

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_OrganisationId_Action",
                table: "AuditEntries",
                columns: new[] { "OrganisationId", "Action" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_OrganisationId_ClassId",
                table: "AuditEntries",
                columns: new[] { "OrganisationId", "ClassId" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_OrganisationId_Id",
                table: "AuditEntries",
                columns: new[] { "OrganisationId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_OrganisationId_MemberId",
                table: "AuditEntries",
                columns: new[] { "OrganisationId", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_OrganisationId_OccurredAt",
                table: "AuditEntries",
                columns: new[] { "OrganisationId", "OccurredAt" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_OrganisationId_Sequence",
                table: "AuditEntries",
                columns: new[] { "OrganisationId", "Sequence" });

            migrationBuilder.CreateIndex(
                name: "IX_BatchExitItems_BatchExitId_Id",
                table: "BatchExitItems",
                columns: new[] { "BatchExitId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_BatchExits_OrganisationId_StartedAt",
                table: "BatchExits",
                columns: new[] { "OrganisationId", "StartedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ChatMessages_ClassId_SenderMemberId",
                table: "ChatMessages",
                columns: new[] { "ClassId", "SenderMemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_ChatMessages_OrganisationId_PurgeAfter",
                table: "ChatMessages",
                columns: new[] { "OrganisationId", "PurgeAfter" });

            migrationBuilder.CreateIndex(
                name: "IX_Classes_OrganisationId_Name",
                table: "Classes",
                columns: new[] { "OrganisationId", "Name" });

            migrationBuilder.CreateIndex(
                name: "IX_Classes_OrganisationId_OwnerMemberId",
                table: "Classes",
                columns: new[] { "OrganisationId", "OwnerMemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_Classes_OwnerMemberId",
                table: "Classes",
                column: "OwnerMemberId");

            migrationBuilder.CreateIndex(
                name: "IX_Devices_IsStale_NetworkClass_MemberId",
                table: "Devices",
                columns: new[] { "IsStale", "NetworkClass", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_Devices_MemberId",
                table: "Devices",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_Devices_OrganisationId_IsStale",
                table: "Devices",
                columns: new[] { "OrganisationId", "IsStale" });

            migrationBuilder.CreateIndex(
                name: "IX_Devices_OrganisationId_MemberId",
                table: "Devices",
                columns: new[] { "OrganisationId", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_DeviceSyncSamples_DeviceId_Version",
                table: "DeviceSyncSamples",
                columns: new[] { "DeviceId", "Version" });

            migrationBuilder.CreateIndex(
                name: "IX_DeviceSyncSamples_OrganisationId_AcknowledgedAt",
                table: "DeviceSyncSamples",
                columns: new[] { "OrganisationId", "AcknowledgedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ExitNotifications_ClassId_CreatedAt",
                table: "ExitNotifications",
                columns: new[] { "ClassId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ExitNotifications_ExitRequestId",
                table: "ExitNotifications",
                column: "ExitRequestId");

            migrationBuilder.CreateIndex(
                name: "IX_ExitRequests_ClassId_MemberId_Status",
                table: "ExitRequests",
                columns: new[] { "ClassId", "MemberId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_ExitRequests_MemberId",
                table: "ExitRequests",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_ExitRequests_OrganisationId_MemberId",
                table: "ExitRequests",
                columns: new[] { "OrganisationId", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_ExitRequests_OrganisationId_Status_CreatedAt",
                table: "ExitRequests",
                columns: new[] { "OrganisationId", "Status", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_HandoverAssignments_ExitRequestId",
                table: "HandoverAssignments",
                column: "ExitRequestId");

            migrationBuilder.CreateIndex(
                name: "IX_HandoverChecklistItems_ClassId",
                table: "HandoverChecklistItems",
                column: "ClassId");

            migrationBuilder.CreateIndex(
                name: "IX_HandoverCompletions_ChecklistItemId_MemberId",
                table: "HandoverCompletions",
                columns: new[] { "ChecklistItemId", "MemberId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_HandoverCompletions_OrganisationId_MemberId",
                table: "HandoverCompletions",
                columns: new[] { "OrganisationId", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_HomeworkSubmissions_AssignmentId",
                table: "HomeworkSubmissions",
                column: "AssignmentId");

            migrationBuilder.CreateIndex(
                name: "IX_HomeworkSubmissions_ClassId_MemberId",
                table: "HomeworkSubmissions",
                columns: new[] { "ClassId", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_IdempotencyRecords_ExpiresAt",
                table: "IdempotencyRecords",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_IdempotencyRecords_OrganisationId_Key",
                table: "IdempotencyRecords",
                columns: new[] { "OrganisationId", "Key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LegalHolds_OrganisationId_ClassId",
                table: "LegalHolds",
                columns: new[] { "OrganisationId", "ClassId" });

            migrationBuilder.CreateIndex(
                name: "IX_LegalHolds_OrganisationId_MemberId",
                table: "LegalHolds",
                columns: new[] { "OrganisationId", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_LiveReplays_ClassId_CreatorMemberId",
                table: "LiveReplays",
                columns: new[] { "ClassId", "CreatorMemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_LiveStreams_ClassId_CreatorMemberId",
                table: "LiveStreams",
                columns: new[] { "ClassId", "CreatorMemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_LiveStreams_ClassId_HostMemberId",
                table: "LiveStreams",
                columns: new[] { "ClassId", "HostMemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_Members_OrganisationId_DisplayName",
                table: "Members",
                columns: new[] { "OrganisationId", "DisplayName" });

            migrationBuilder.CreateIndex(
                name: "IX_Members_OrganisationId_EmployeeNo",
                table: "Members",
                columns: new[] { "OrganisationId", "EmployeeNo" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_MembershipChanges_MemberId_Version",
                table: "MembershipChanges",
                columns: new[] { "MemberId", "Version" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_MembershipChanges_OrganisationId_ChangedAt",
                table: "MembershipChanges",
                columns: new[] { "OrganisationId", "ChangedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Memberships_ClassId_MemberId",
                table: "Memberships",
                columns: new[] { "ClassId", "MemberId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Memberships_ClassId_State_Role",
                table: "Memberships",
                columns: new[] { "ClassId", "State", "Role" });

            migrationBuilder.CreateIndex(
                name: "IX_Memberships_MemberId",
                table: "Memberships",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_Memberships_OneOwnerPerClass",
                table: "Memberships",
                column: "ClassId",
                unique: true,
                filter: "\"Role\" = 3 AND \"State\" IN (0, 1)");

            migrationBuilder.CreateIndex(
                name: "IX_Memberships_OrganisationId_MemberId_State",
                table: "Memberships",
                columns: new[] { "OrganisationId", "MemberId", "State" });

            migrationBuilder.CreateIndex(
                name: "IX_MessageReceipts_ClassId_MemberId",
                table: "MessageReceipts",
                columns: new[] { "ClassId", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_MessageReceipts_MessageId_MemberId",
                table: "MessageReceipts",
                columns: new[] { "MessageId", "MemberId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_OwnershipTransfers_ClassId_Status",
                table: "OwnershipTransfers",
                columns: new[] { "ClassId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_OwnershipTransfers_OnePendingPerClass",
                table: "OwnershipTransfers",
                column: "ClassId",
                unique: true,
                filter: "\"Status\" = 0");

            migrationBuilder.CreateIndex(
                name: "IX_OwnershipTransfers_OrganisationId_Status_ExpiresAt",
                table: "OwnershipTransfers",
                columns: new[] { "OrganisationId", "Status", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Polls_ClassId_CreatorMemberId",
                table: "Polls",
                columns: new[] { "ClassId", "CreatorMemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_PrivateFileTransfers_OrganisationId_RecipientMemberId_Saved",
                table: "PrivateFileTransfers",
                columns: new[] { "OrganisationId", "RecipientMemberId", "Saved" });

            migrationBuilder.CreateIndex(
                name: "IX_QuotaIncreaseRequests_OrganisationId",
                table: "QuotaIncreaseRequests",
                column: "OrganisationId");

            migrationBuilder.CreateIndex(
                name: "IX_QuotaIncreaseRequests_Status_CreatedAt",
                table: "QuotaIncreaseRequests",
                columns: new[] { "Status", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_QuotaUsages_OrganisationId_Day",
                table: "QuotaUsages",
                columns: new[] { "OrganisationId", "Day" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ReasonCodes_OrganisationId_Code",
                table: "ReasonCodes",
                columns: new[] { "OrganisationId", "Code" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ReplayGrants_ReplayId_MemberId",
                table: "ReplayGrants",
                columns: new[] { "ReplayId", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_RetentionRuns_OrganisationId_StartedAt",
                table: "RetentionRuns",
                columns: new[] { "OrganisationId", "StartedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_RetentionRuns_State",
                table: "RetentionRuns",
                column: "State");

            migrationBuilder.CreateIndex(
                name: "IX_SharedDocuments_ClassId_CreatorMemberId",
                table: "SharedDocuments",
                columns: new[] { "ClassId", "CreatorMemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_SignUpEntries_ClassId_MemberId",
                table: "SignUpEntries",
                columns: new[] { "ClassId", "MemberId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Announcements");

            migrationBuilder.DropTable(
                name: "ApiKeys");

            migrationBuilder.DropTable(
                name: "AspNetRoleClaims");

            migrationBuilder.DropTable(
                name: "AspNetUserClaims");

            migrationBuilder.DropTable(
                name: "AspNetUserLogins");

            migrationBuilder.DropTable(
                name: "AspNetUserPasskeys");

            migrationBuilder.DropTable(
                name: "AspNetUserRoles");

            migrationBuilder.DropTable(
                name: "AspNetUserTokens");

            migrationBuilder.DropTable(
                name: "AuditChainHeads");

            migrationBuilder.DropTable(
                name: "AuditEntries");

            migrationBuilder.DropTable(
                name: "BatchExitItems");

            migrationBuilder.DropTable(
                name: "Devices");

            migrationBuilder.DropTable(
                name: "DeviceSyncSamples");

            migrationBuilder.DropTable(
                name: "ExitNotifications");

            migrationBuilder.DropTable(
                name: "HandoverAssignments");

            migrationBuilder.DropTable(
                name: "HandoverChecklistItems");

            migrationBuilder.DropTable(
                name: "HandoverCompletions");

            migrationBuilder.DropTable(
                name: "HomeworkSubmissions");

            migrationBuilder.DropTable(
                name: "IdempotencyRecords");

            migrationBuilder.DropTable(
                name: "LegalHolds");

            migrationBuilder.DropTable(
                name: "LiveStreams");

            migrationBuilder.DropTable(
                name: "MembershipChanges");

            migrationBuilder.DropTable(
                name: "Memberships");

            migrationBuilder.DropTable(
                name: "MessageReceipts");

            migrationBuilder.DropTable(
                name: "OwnershipTransfers");

            migrationBuilder.DropTable(
                name: "Polls");

            migrationBuilder.DropTable(
                name: "PrivateFileTransfers");

            migrationBuilder.DropTable(
                name: "QuotaIncreaseRequests");

            migrationBuilder.DropTable(
                name: "QuotaUsages");

            migrationBuilder.DropTable(
                name: "ReasonCodes");

            migrationBuilder.DropTable(
                name: "ReplayGrants");

            migrationBuilder.DropTable(
                name: "RetentionRuns");

            migrationBuilder.DropTable(
                name: "SharedDocuments");

            migrationBuilder.DropTable(
                name: "SignUpEntries");

            migrationBuilder.DropTable(
                name: "AspNetRoles");

            migrationBuilder.DropTable(
                name: "AspNetUsers");

            migrationBuilder.DropTable(
                name: "BatchExits");

            migrationBuilder.DropTable(
                name: "ExitRequests");

            migrationBuilder.DropTable(
                name: "Assignments");

            migrationBuilder.DropTable(
                name: "ChatMessages");

            migrationBuilder.DropTable(
                name: "LiveReplays");

            migrationBuilder.DropTable(
                name: "Classes");

            migrationBuilder.DropTable(
                name: "Members");

            migrationBuilder.DropTable(
                name: "Organisations");
        }
    }
}
