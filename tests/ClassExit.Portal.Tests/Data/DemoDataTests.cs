using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Tests.Data;

[Collection(PortalCollection.Name)]
public class DemoDataTests(PortalFactory factory)
{
    [Theory]
    [InlineData(DemoSeeder.SchoolName)]
    [InlineData(DemoSeeder.FinanceName)]
    public async Task DemoOrganisation_HasTheShapeApiMdPromises(string name)
    {
        var org = await factory.OrganisationIdAsync(name);
        await using var db = factory.SystemDb();
        var organisation = await db.Organisations.SingleAsync(o => o.Id == org);
        Assert.Equal("Asia/Shanghai", organisation.TimeZoneId);

        Assert.True(await db.Classes.CountAsync(c => c.OrganisationId == org) >= 40);
        Assert.True(await db.Members.CountAsync(m => m.OrganisationId == org) >= 1000);
        var roles = await db.Memberships.Where(m => m.OrganisationId == org).Select(m => m.Role).Distinct().ToListAsync();
        Assert.Equal(Enum.GetValues<ClassRole>().Order(), roles.Order());
        var networks = await db.Devices.Where(d => d.OrganisationId == org).Select(d => d.NetworkClass).Distinct().ToListAsync();
        Assert.Equal(Enum.GetValues<NetworkClass>().Order(), networks.Order());
        foreach (var count in new[]
                 {
                     await db.Assignments.CountAsync(x => x.OrganisationId == org), await db.LiveStreams.CountAsync(x => x.OrganisationId == org),
                     await db.ChatMessages.CountAsync(x => x.OrganisationId == org), await db.SharedDocuments.CountAsync(x => x.OrganisationId == org),
                     await db.Polls.CountAsync(x => x.OrganisationId == org), await db.LiveReplays.CountAsync(x => x.OrganisationId == org),
                     await db.Announcements.CountAsync(x => x.OrganisationId == org), await db.HomeworkSubmissions.CountAsync(x => x.OrganisationId == org),
                 })
            Assert.True(count > 0);

        // Policies at work, visible through the API fields.
        Assert.True(await db.Classes.AnyAsync(c => c.OrganisationId == org && c.ExitLocked));
        Assert.True(await db.Classes.AnyAsync(c => c.OrganisationId == org && c.Classification == Classification.Classified));
        var keyClass = await db.Classes.FirstAsync(c => c.OrganisationId == org && c.Classification == Classification.Key);
        Assert.True(await (from ms in db.Memberships
                           join m in db.Members on ms.MemberId equals m.Id
                           where ms.ClassId == keyClass.Id && m.Resignation == ResignationState.InProgress
                           select ms).AnyAsync());

        var today = organisation.LocalDate(DateTimeOffset.UtcNow);
        var terms = await db.Classes.Where(c => c.OrganisationId == org).Select(c => c.TermEndsOn).ToListAsync();
        var frozen = terms.Count(t => FreezeWindow.IsFrozen(today, t, 14));
        if (organisation.Kind == OrganisationKind.Education)
        {
            Assert.Equal(14, organisation.Policy.FreezeWindowDays);
            Assert.Equal(1, frozen);
        }
        else
        {
            Assert.True(organisation.Policy.ExitRequiresApproval);
            Assert.True(await db.Classes.AnyAsync(c => c.OrganisationId == org && c.Name.Contains("销售培训") && c.Checklist.Any()));
        }
        // All other classes' terms end at least 30 days after the seed date.
        Assert.Equal(terms.Count - frozen, terms.Count(t => t >= today.AddDays(30)));
    }

    [Fact]
    public async Task DemoSignIns_ExistWithTheirRoles()
    {
        await using var db = factory.SystemDb();
        var expected = new Dictionary<string, string>
        {
            ["admin@school.demo"] = "EnterpriseAdmin", ["hr@school.demo"] = "HrOperator", ["teacher@school.demo"] = "SchoolStaff",
            ["auditor@school.demo"] = "Auditor", ["admin@finance.demo"] = "EnterpriseAdmin",
        };
        foreach (var (email, role) in expected)
        {
            var roles = await (from u in db.Users
                               join ur in db.UserRoles on u.Id equals ur.UserId
                               join r in db.Roles on ur.RoleId equals r.Id
                               where u.Email == email
                               select r.Name).ToListAsync();
            Assert.Contains(role, roles);
        }
        var teacherMember = await db.Users.Where(u => u.Email == "teacher@school.demo").Select(u => u.MemberId).SingleAsync();
        Assert.True(await db.Classes.CountAsync(c => c.OwnerMemberId == teacherMember) >= 2);
    }

    [Fact]
    public async Task DemoPlatformOperator_BelongsToNoOrganisation_AndIsNoMember()
    {
        await using var db = factory.SystemDb();
        var user = await db.Users.SingleAsync(u => u.Email == "operator@platform.demo");
        Assert.Null(user.OrganisationId);
        Assert.Null(user.MemberId);
        var roles = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id where ur.UserId == user.Id select r.Name).ToListAsync();
        Assert.Equal(["PlatformOperator"], roles);
        Assert.False(await db.Members.AnyAsync(m => m.Email == "operator@platform.demo" || m.DisplayName == user.DisplayName));
        // Every other demo sign-in is a member of its organisation.
        var others = DemoSeeder.SignIns.Where(s => s.Email != user.Email).Select(s => s.Email).ToList();
        Assert.NotEmpty(others);
        Assert.Equal(others.Count, await db.Users.CountAsync(u => others.Contains(u.Email!) && u.OrganisationId != null && u.MemberId != null));
        Assert.Equal(DemoSeeder.PlatformName, DemoSeeder.SignIns.Single(s => s.Email == user.Email).Organisation);
    }

    [Fact]
    public async Task Seed_RunTwice_AddsNothing()
    {
        await using var db = factory.SystemDb();
        var before = await db.Members.CountAsync();
        var seeder = new DemoSeeder(db, new Microsoft.AspNetCore.Identity.PasswordHasher<ClassExit.Portal.Data.Identity.PortalUser>(),
            new Microsoft.AspNetCore.Identity.UpperInvariantLookupNormalizer(), TimeProvider.System);
        Assert.False(await seeder.SeedAsync());
        Assert.Equal(before, await db.Members.CountAsync());
    }
}
