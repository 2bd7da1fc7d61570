using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests.Features;

[Collection(BrowserCollection.Name)]
public class ExitsBrowserTests(BrowserFixture fixture)
{
    private Task RunAsync(string email, string name, Func<IPage, Task> body) => fixture.RunAsAsync(email, name, body);

    [Fact]
    public async Task Admin_ApprovesTeacherExitFromTheQueue_DutiesHandedOver() => await RunAsync("admin@school.demo", "approve", async page =>
    {
        await page.GotoAsync("/approvals");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var grid = page.GetByTestId("approval-grid");
        var teacherRow = grid.Locator("tbody tr", new() { HasText = "教师" }).First;
        await Assertions.Expect(teacherRow).ToBeVisibleAsync();
        await teacherRow.Locator("a[data-testid^=open-exit-]").ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/exits/\\d+$"));
        await Assertions.Expect(page.GetByTestId("exit-status")).ToContainTextAsync("待审批");
        // The preview shows the request as its approver will decide it: the plan covers every duty.
        await Assertions.Expect(page.GetByTestId("decision-approval")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("exit-handover")).ToContainTextAsync("→");

        await page.GetByTestId("approve").ClickAsync();
        await Assertions.Expect(page.GetByTestId("exit-status")).ToContainTextAsync("已完成");
        await Assertions.Expect(page.GetByTestId("exit-timeline")).ToContainTextAsync("完成退出");

        // Back in the queue, the teacher's request is gone.
        await page.GotoAsync("/approvals");
        await BrowserFixture.WaitForInteractiveAsync(page);
        await Assertions.Expect(grid.Locator("tbody tr").First).ToBeVisibleAsync();
        await Assertions.Expect(grid.Locator("tbody tr", new() { HasText = "教师" })).ToHaveCountAsync(0);
    });

    [Fact]
    public async Task Teacher_StartsStudentExitWithPreview_StudentLeavesAtOnce() => await RunAsync("teacher@school.demo", "student-exit", async page =>
    {
        await page.GotoAsync("/classes");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var grid = page.GetByTestId("classes-grid");
        await Assertions.Expect(grid.Locator("tbody tr").First).ToContainTextAsync("正常");
        // 高一(1)班 stays teacher@'s own (the ownership test hands 高一(2)班 to teacher2, who then may no longer remove students there).
        await grid.Locator("tbody tr", new() { HasText = "高一(1)班" }).First.ClickAsync();
        await Assertions.Expect(page.GetByTestId("class-name")).ToHaveTextAsync("高一(1)班");

        var members = page.GetByTestId("members-grid");
        var studentRow = members.Locator("tbody tr", new() { HasText = "学生" }).First;
        await Assertions.Expect(studentRow).ToBeVisibleAsync();
        var studentName = (await studentRow.Locator("td").First.InnerTextAsync()).Trim();
        await studentRow.Locator("button[data-testid^=start-exit-]").ClickAsync();

        var dialog = page.GetByTestId("start-exit-dialog");
        await Assertions.Expect(dialog.GetByTestId("decision-completes")).ToBeVisibleAsync();
        await Assertions.Expect(dialog.GetByTestId("preview-retention")).ToContainTextAsync("30");
        await Assertions.Expect(dialog.GetByTestId("preview-backup")).ToContainTextAsync("已读未回复");
        await page.GetByTestId("confirm-exit").ClickAsync();

        await Assertions.Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("已退出班级");
        await members.Locator("input").First.FillAsync(studentName);
        await Assertions.Expect(members.Locator("tbody tr", new() { HasText = studentName }).First).ToContainTextAsync("已退出");
    });

    [Fact]
    public async Task Teacher_OwnerCannotLeave_PreviewShows50101() => await RunAsync("teacher@school.demo", "owner-exit", async page =>
    {
        await page.GotoAsync("/classes");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var grid = page.GetByTestId("classes-grid");
        await Assertions.Expect(grid.Locator("tbody tr").First).ToContainTextAsync("正常");
        await grid.Locator("tbody tr", new() { HasText = "高一(1)班" }).First.ClickAsync();
        var members = page.GetByTestId("members-grid");
        var ownerRow = members.Locator("tbody tr", new() { HasText = "创建者" }).First;
        await ownerRow.Locator("button[data-testid^=start-exit-]").ClickAsync();
        var dialog = page.GetByTestId("start-exit-dialog");
        await Assertions.Expect(dialog.GetByTestId("reason-50101")).ToContainTextAsync("请先转让班级所有权或解散班级");
        await Assertions.Expect(page.GetByTestId("confirm-exit")).ToBeDisabledAsync();
    });
}
