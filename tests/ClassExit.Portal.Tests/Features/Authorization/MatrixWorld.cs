using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ClassExit.Portal.Tests.Features.Authorization;

/// <summary>Who acts in a cell of the authorization matrix.</summary>
public enum Persona
{
    Admin,
    Hr,
    Owner,
    ClassAdmin,
    Teacher,
    OtherTeacher,
    Auditor,
    Platform,
    Foreign,
    ApiKey,
}

/// <summary>
/// The matrix's own small world, built once into a SQLite template file: organisation A (a school) with three classes and a portal
/// account for each persona, organisation B with one enterprise admin (the "member of another organisation"), and a platform operator
/// who belongs to neither. Each cell works on its own copy of the file, so a refusal can be checked table by table.
/// </summary>
/// <remarks>
/// Class X is "own": the owner, class admin and teacher personas hold those roles there. Class Y is "other": none of the personas holds
/// a role in it. Class Z is where the other-class teacher teaches.
/// </remarks>
public sealed class MatrixWorld : IAsyncDisposable
{
    public const string Password = "Matrix#2026!pw";
    public static readonly DateTimeOffset Now = new(2026, 12, 1, 2, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Directory.CreateTempSubdirectory("classexit-matrix-").FullName;
    private int _cells;

    public string TemplatePath => Path.Combine(_directory, "template.db");
    public long OrgA { get; private set; }
    public long OrgB { get; private set; }
    public long ClassX { get; private set; }
    public long ClassY { get; private set; }
    public long ClassZ { get; private set; }
    public Dictionary<Persona, (string UserId, long? MemberId)> Accounts { get; } = [];
    /// <summary>Members of X and Y without portal accounts: students, further teachers, Y's owner.</summary>
    public Dictionary<string, long> People { get; } = [];
    public long ApiKeyId { get; private set; }

    public long ClassOf(bool own) => own ? ClassX : ClassY;

    public long Student(bool own, int n) => People[$"{(own ? "x" : "y")}-student-{n}"];

    public long SpareTeacher(bool own) => People[$"{(own ? "x" : "y")}-teacher-2"];

    public static async Task<MatrixWorld> CreateAsync()
    {
        var world = new MatrixWorld();
        await world.BuildTemplateAsync();
        return world;
    }

    private async Task BuildTemplateAsync()
    {
        await using var provider = Services(TemplatePath, FixedCurrentUser.Of(PortalPrincipal.NoOrganisation, null, null, PortalRoles.PlatformOperator), new FakeTimeProvider(Now));
        await using var db = (await provider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForSystem();
        await db.Database.MigrateAsync();
        foreach (var role in PortalRoles.All)
            db.Roles.Add(new IdentityRole(role) { NormalizedName = role.ToUpperInvariant() });

        var a = new Organisation("矩阵学校", "Asia/Shanghai", OrganisationKind.Education);
        var b = new Organisation("矩阵他校", "Asia/Shanghai", OrganisationKind.Education);
        db.Organisations.AddRange(a, b);
        await db.SaveChangesAsync();
        (OrgA, OrgB) = (a.Id, b.Id);

        var employeeNo = 0;
        Member Add(long org, string name, OrgRole role = OrgRole.Member)
        {
            var m = new Member(org, name, $"M{++employeeNo:D4}", role);
            db.Members.Add(m);
            return m;
        }
        var admin = Add(OrgA, "管理员 甲", OrgRole.EnterpriseAdmin);
        var hr = Add(OrgA, "人事 乙", OrgRole.Staff);
        hr.GrantHrPermission();
        var owner = Add(OrgA, "班主任 丙", OrgRole.Staff);
        var classAdmin = Add(OrgA, "班管 丁", OrgRole.Staff);
        var teacher = Add(OrgA, "老师 戊", OrgRole.Staff);
        var otherTeacher = Add(OrgA, "老师 己", OrgRole.Staff);
        var auditor = Add(OrgA, "审计 庚", OrgRole.Staff);
        var foreignAdmin = Add(OrgB, "他校管理员 辛", OrgRole.EnterpriseAdmin);
        var ownerY = Add(OrgA, "班主任 壬", OrgRole.Staff);
        var ownerZ = Add(OrgA, "班主任 癸", OrgRole.Staff);
        var spareX = Add(OrgA, "老师 子", OrgRole.Staff);
        var teacherY = Add(OrgA, "老师 丑", OrgRole.Staff);
        var spareY = Add(OrgA, "老师 寅", OrgRole.Staff);
        var students = Enumerable.Range(1, 16).Select(i => Add(OrgA, $"学生 {i:D2}")).ToList();
        await db.SaveChangesAsync();

        var term = DateOnly.FromDateTime(Now.UtcDateTime).AddDays(200);
        var x = new ClassGroup(OrgA, "矩阵一班", owner.Id, term, Now.AddDays(-100));
        var y = new ClassGroup(OrgA, "矩阵二班", ownerY.Id, term, Now.AddDays(-100));
        var z = new ClassGroup(OrgA, "矩阵三班", ownerZ.Id, term, Now.AddDays(-100));
        db.Classes.AddRange(x, y, z);
        await db.SaveChangesAsync();
        (ClassX, ClassY, ClassZ) = (x.Id, y.Id, z.Id);

        void Join(ClassGroup c, Member m, ClassRole role) => db.Memberships.Add(new Membership(OrgA, c.Id, m.Id, role, Now.AddDays(-90)));
        Join(x, owner, ClassRole.Owner);
        Join(x, classAdmin, ClassRole.ClassAdmin);
        Join(x, teacher, ClassRole.Teacher);
        Join(x, spareX, ClassRole.Teacher);
        Join(y, ownerY, ClassRole.Owner);
        Join(y, teacherY, ClassRole.Teacher);
        Join(y, spareY, ClassRole.Teacher);
        Join(z, ownerZ, ClassRole.Owner);
        Join(z, otherTeacher, ClassRole.Teacher);
        for (var i = 0; i < 8; i++)
        {
            Join(x, students[i], ClassRole.Student);
            Join(y, students[8 + i], ClassRole.Student);
            People[$"x-student-{i + 1}"] = students[i].Id;
            People[$"y-student-{i + 1}"] = students[8 + i].Id;
            foreach (var (c, m) in new[] { (x, students[i]), (y, students[8 + i]) })
            {
                db.Devices.Add(new Device($"MX-{m.Id}", OrgA, m.Id, Platform.Android, NetworkClass.SameNetwork, "3.2.0", $"02:00:00:00:{m.Id / 256:X2}:{m.Id % 256:X2}", true));
                db.ChatMessages.Add(new ChatMessage(OrgA, c.Id, m.Id, $"消息 {m.Id}", Now.AddDays(-3)));
            }
        }
        People["x-teacher-2"] = spareX.Id;
        People["y-teacher-2"] = spareY.Id;
        People["y-teacher"] = teacherY.Id;
        People["y-owner"] = ownerY.Id;
        People["x-owner"] = owner.Id;
        db.ReasonCodes.Add(new ReasonCode(OrgA, "200001", "离职"));
        db.ReasonCodes.Add(new ReasonCode(OrgA, "200002", "实习结束"));
        await db.SaveChangesAsync();

        var hasher = new PasswordHasher<PortalUser>();
        var hash = hasher.HashPassword(new PortalUser(), Password);
        void Account(Persona persona, long? org, Member? member, string role)
        {
            var email = $"{persona.ToString().ToLowerInvariant()}@matrix.test";
            var user = new PortalUser
            {
                UserName = email, NormalizedUserName = email.ToUpperInvariant(), Email = email, NormalizedEmail = email.ToUpperInvariant(),
                EmailConfirmed = true, LockoutEnabled = true, SecurityStamp = Guid.NewGuid().ToString("N"), PasswordHash = hash,
                OrganisationId = org, MemberId = member?.Id, DisplayName = member?.DisplayName ?? "平台运营",
            };
            db.Users.Add(user);
            db.UserRoles.Add(new IdentityUserRole<string> { UserId = user.Id, RoleId = db.Roles.Local.Single(r => r.Name == role).Id });
            Accounts[persona] = (user.Id, member?.Id);
        }
        Account(Persona.Admin, OrgA, admin, PortalRoles.EnterpriseAdmin);
        Account(Persona.Hr, OrgA, hr, PortalRoles.HrOperator);
        Account(Persona.Owner, OrgA, owner, PortalRoles.SchoolStaff);
        Account(Persona.ClassAdmin, OrgA, classAdmin, PortalRoles.SchoolStaff);
        Account(Persona.Teacher, OrgA, teacher, PortalRoles.SchoolStaff);
        Account(Persona.OtherTeacher, OrgA, otherTeacher, PortalRoles.SchoolStaff);
        Account(Persona.Auditor, OrgA, auditor, PortalRoles.Auditor);
        Account(Persona.Foreign, OrgB, foreignAdmin, PortalRoles.EnterpriseAdmin);
        Account(Persona.Platform, null, null, PortalRoles.PlatformOperator);
        var key = new ApiKey(OrgA, "矩阵密钥", hr.Id, "matrix-test-key", Now);
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync();
        ApiKeyId = key.Id;
        Accounts[Persona.ApiKey] = ($"apikey:{key.Id}", hr.Id);
    }

    /// <summary>The signed-in principal of a persona, as the portal (cookie) or the API key handler would build it.</summary>
    public ICurrentUser UserOf(Persona persona)
    {
        var (userId, member) = Accounts[persona];
        return persona switch
        {
            Persona.Admin => FixedCurrentUser.Of(OrgA, member, userId, PortalRoles.EnterpriseAdmin),
            Persona.Hr => FixedCurrentUser.Of(OrgA, member, userId, PortalRoles.HrOperator),
            Persona.Owner or Persona.ClassAdmin or Persona.Teacher or Persona.OtherTeacher => FixedCurrentUser.Of(OrgA, member, userId, PortalRoles.SchoolStaff),
            Persona.Auditor => FixedCurrentUser.Of(OrgA, member, userId, PortalRoles.Auditor),
            Persona.Foreign => FixedCurrentUser.Of(OrgB, member, userId, PortalRoles.EnterpriseAdmin),
            Persona.Platform => FixedCurrentUser.Of(PortalPrincipal.NoOrganisation, null, userId, PortalRoles.PlatformOperator),
            _ => new FixedCurrentUser(new ClaimsPrincipal(new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, userId), new Claim(PortalClaims.ApiKeyId, ApiKeyId.ToString()),
                new Claim(PortalClaims.OrganisationId, OrgA.ToString()), new Claim(PortalClaims.MemberId, member!.Value.ToString()),
                new Claim(PortalClaims.DisplayName, "API key 矩阵密钥"), new Claim(PortalClaims.ApiScopes, string.Join(' ', ApiScopes.All)),
            ], "ApiKey"))),
        };
    }

    /// <summary>The organisation a persona's audit entries belong to (null: the platform operator's).</summary>
    public long? OrganisationOf(Persona persona) => persona switch
    {
        Persona.Platform => null,
        Persona.Foreign => OrgB,
        _ => OrgA,
    };

    /// <summary>A fresh copy of the template for one cell.</summary>
    public string NewCell()
    {
        var path = Path.Combine(_directory, $"cell-{Interlocked.Increment(ref _cells)}.db");
        File.Copy(TemplatePath, path);
        return path;
    }

    /// <summary>The portal's own registrations on one cell's file, acting as one user on a fake clock.</summary>
    public static ServiceProvider Services(string databasePath, ICurrentUser user, TimeProvider clock) =>
        TestSupport.ServicesOnDatabase.Create(databasePath, user, clock);

    /// <summary>Every table but the audit log, as one hash each: a refusal must leave every one of them as it was.</summary>
    public static async Task<Dictionary<string, string>> SnapshotAsync(string databasePath)
    {
        await using var connection = new SqliteConnection($"Data Source={databasePath};Pooling=False");
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        }
        var result = new Dictionary<string, string>();
        foreach (var table in tables.Where(t => t is not ("AuditEntries" or "AuditChainHeads")))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM \"{table}\" ORDER BY rowid";
            await using var reader = await command.ExecuteReaderAsync();
            var text = new StringBuilder();
            while (await reader.ReadAsync())
            {
                for (var i = 0; i < reader.FieldCount; i++) text.Append(reader.IsDBNull(i) ? "∅" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)).Append('|');
                text.Append('\n');
            }
            result[table] = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
        }
        return result;
    }

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }
}
