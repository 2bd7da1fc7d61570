using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests.Features;

/// <summary>
/// The two breaches of issue 13, as a reviewer tried them: in Chromium the button is not drawn, and calling the service behind it
/// anyway, as the same signed-in account on the same database, is refused and changes nothing.
/// </summary>
[Collection(BrowserCollection.Name)]
public class BreachBrowserTests(BrowserFixture fixture)
{
    private async Task<(long ClassId, List<long> Students)> ClassAsync(string key, string name)
    {
        using var http = new HttpClient { BaseAddress = new Uri(fixture.Server.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var found = await http.GetFromJsonAsync<JsonElement>("/api/v1/classes?page_size=100&search=" + Uri.EscapeDataString(name));
        var cls = found.GetProperty("items").EnumerateArray().First(c => c.GetProperty("name").GetString() == name).GetProperty("class_id").GetInt64();
        var members = await http.GetFromJsonAsync<JsonElement>($"/api/v1/classes/{cls}/members?page_size=200");
        var students = members.GetProperty("items").EnumerateArray()
            .Where(m => m.GetProperty("class_role").GetString() == "student" && m.GetProperty("state").GetString() == "active")
            .Select(m => m.GetProperty("member_id").GetInt64()).ToList();
        Assert.NotEmpty(students);
        return (cls, students);
    }

    private async Task<T> SystemAsync<T>(Func<PortalDbContext, Task<T>> read)
    {
        await using var services = ServicesOnDatabase.Create(fixture.Server.DatabasePath, await ServicesOnDatabase.AccountAsync(fixture.Server.DatabasePath, "admin@school.demo"), TimeProvider.System);
        await using var db = (await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForSystem();
        return await read(db);
    }

    private Task RunAsync(string email, string name, Func<IPage, Task> body) => fixture.RunAsAsync(email, name, body);

    [Fact]
    public async Task Teacher2_CannotMakeStudentsLeave_NotDrawn_AndRefusedInTheService() => await RunAsync("teacher2@school.demo", "breach-1", async page =>
    {
        // 高一(1)班: teacher2 teaches there (a plain teacher may not remove students). 高一(3)班: teacher2 holds no role at all.
        var (taught, taughtStudents) = await ClassAsync("demo-school-hr-key", "高一(1)班");
        var (elsewhere, elsewhereStudents) = await ClassAsync("demo-school-hr-key", "高一(3)班");

        await page.GotoAsync($"/classes/{taught}");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var members = page.GetByTestId("members-grid");
        var students = members.Locator("tbody tr", new() { HasText = "学生" });
        await Assertions.Expect(students.First).ToBeVisibleAsync();
        Assert.True(await students.CountAsync() > 0);
        await Assertions.Expect(students.Locator("button[data-testid^=start-exit-]")).ToHaveCountAsync(0);
        await Assertions.Expect(members.Locator("button[data-testid^=force-remove-]")).ToHaveCountAsync(0);
        await page.GotoAsync($"/classes/{elsewhere}");
        await Assertions.Expect(page.GetByTestId("class-not-found")).ToBeVisibleAsync();

        // The service behind the button, called anyway as teacher2.
        var teacher2 = await ServicesOnDatabase.AccountAsync(fixture.Server.DatabasePath, "teacher2@school.demo");
        await using var services = ServicesOnDatabase.Create(fixture.Server.DatabasePath, teacher2, TimeProvider.System);
        await using var scope = services.CreateAsyncScope();
        var exits = scope.ServiceProvider.GetRequiredService<ExitService>();
        foreach (var (classId, student) in new[] { (taught, taughtStudents[0]), (elsewhere, elsewhereStudents[0]) })
        {
            var result = await exits.RequestAsync(new ExitCommand(classId, student, ExitKind.OnBehalf, ExitChannel.Portal, VerificationMethod.None));
            Assert.Equal(ErrorCatalogue.Forbidden, result.Decision.PrimaryCode);
            Assert.Null(result.ExitRequestId);
            Assert.Equal(MembershipState.Active, await SystemAsync(db => db.Memberships.Where(m => m.ClassId == classId && m.MemberId == student).Select(m => m.State).SingleAsync()));
            Assert.True(await SystemAsync(db => db.AuditEntries.AnyAsync(a => a.Action == "access.refused" && a.ClassId == classId && a.MemberId == student
                && a.ActorName == "李老师 李明" && a.Code == ErrorCatalogue.Forbidden)));
        }
    });

    [Fact]
    public async Task AdminWhoStartedAnExit_CannotApproveIt_NotDrawn_AndRefusedInTheService() => await RunAsync("admin@finance.demo", "breach-2", async page =>
    {
        var (classId, students) = await ClassAsync("demo-finance-hr-key", "新员工入职培训 1班");
        var student = students[^1];

        // Demo Finance: exits need approval. The admin starts one for a student in the portal.
        await page.GotoAsync($"/classes/{classId}");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var members = page.GetByTestId("members-grid");
        await Assertions.Expect(members.Locator("tbody tr").First).ToBeVisibleAsync();
        var start = page.GetByTestId($"start-exit-{student}");
        if (!await start.IsVisibleAsync())
        {
            // The student may be on a later page of the grid: find them by their employee number's row through the search box.
            var displayName = await SystemAsync(db => db.Members.Where(m => m.Id == student).Select(m => m.DisplayName).SingleAsync());
            await members.Locator("input").First.FillAsync(displayName);
        }
        await start.ClickAsync();
        await Assertions.Expect(page.GetByTestId("start-exit-dialog").GetByTestId("decision-approval")).ToBeVisibleAsync();
        await page.GetByTestId("confirm-exit").ClickAsync();
        await Assertions.Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("审批");

        var request = await SystemAsync(db => db.ExitRequests.Where(e => e.ClassId == classId && e.MemberId == student && e.Status == ExitRequestStatus.PendingApproval)
            .Select(e => new { e.Id, e.Kind, e.RequestedByMemberId, e.Version }).SingleAsync());
        Assert.Equal(ExitKind.OnBehalf, request.Kind);
        var adminMember = await SystemAsync(db => db.Users.Where(u => u.Email == "admin@finance.demo").Select(u => u.MemberId).SingleAsync());
        Assert.Equal(adminMember, request.RequestedByMemberId);

        // The request page: no Approve / Reject for the one who asked, and it says why.
        await page.GotoAsync($"/exits/{request.Id}");
        await BrowserFixture.WaitForInteractiveAsync(page);
        await Assertions.Expect(page.GetByTestId("exit-status")).ToContainTextAsync("待审批");
        await Assertions.Expect(page.GetByTestId("decision-blocked")).ToContainTextAsync("50406");
        await Assertions.Expect(page.GetByTestId("approve")).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByTestId("reject")).ToHaveCountAsync(0);

        // Approving it anyway, as the same admin, through the service.
        var admin = await ServicesOnDatabase.AccountAsync(fixture.Server.DatabasePath, "admin@finance.demo");
        await using var services = ServicesOnDatabase.Create(fixture.Server.DatabasePath, admin, TimeProvider.System);
        await using var scope = services.CreateAsyncScope();
        var decision = await scope.ServiceProvider.GetRequiredService<ExitService>().ApproveAsync(request.Id, request.Version);
        Assert.False(decision.Succeeded);
        Assert.Equal(ErrorCatalogue.RequesterCannotDecide, decision.Code);
        Assert.Equal(ExitRequestStatus.PendingApproval, await SystemAsync(db => db.ExitRequests.Where(e => e.Id == request.Id).Select(e => e.Status).SingleAsync()));
        Assert.Equal(MembershipState.ExitPending, await SystemAsync(db => db.Memberships.Where(m => m.ClassId == classId && m.MemberId == student).Select(m => m.State).SingleAsync()));
        // Nobody in the class may decide it, so it went to the enterprise admins at once instead of waiting for the SLA.
        Assert.True(await SystemAsync(db => db.AuditEntries.AnyAsync(a => a.Action == "exit.routed_to_admins" && a.TargetId == request.Id.ToString())));
    });
}
