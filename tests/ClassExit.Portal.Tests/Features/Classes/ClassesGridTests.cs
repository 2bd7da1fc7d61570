using System.Globalization;
using Bunit;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Features.Classes;
using ClassExit.Portal.Features.Organisation;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace ClassExit.Portal.Tests.Features.Classes;

public class ClassesGridTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    /// <summary>Two organisations: 30 classes in ours (10 of them 高三), 5 in the other.</summary>
    private static async Task<(SqliteTestDatabase Db, long Ours)> ArrangeAsync()
    {
        var database = await SqliteTestDatabase.CreateAsync();
        await using var db = database.CreateContext().ForSystem();
        var ours = new Organisation("Ours", "Asia/Shanghai", OrganisationKind.Education, new ExitPolicy { FreezeWindowDays = 14 });
        var theirs = new Organisation("Theirs", "Asia/Shanghai", OrganisationKind.Finance);
        db.Organisations.AddRange(ours, theirs);
        await db.SaveChangesAsync();
        var owner = new Member(ours.Id, "王老师", "T1");
        var other = new Member(theirs.Id, "外部", "X1");
        db.Members.AddRange(owner, other);
        await db.SaveChangesAsync();
        var today = ours.LocalDate(Now);
        for (var i = 1; i <= 30; i++)
            db.Classes.Add(new ClassGroup(ours.Id, i <= 10 ? $"高三({i})班" : $"初一({i})班", owner.Id, today.AddDays(i == 1 ? 3 : 60), Now, exitLocked: i == 2));
        for (var i = 1; i <= 5; i++)
            db.Classes.Add(new ClassGroup(theirs.Id, $"高三 外部 {i}", other.Id, today.AddDays(60), Now));
        await db.SaveChangesAsync();
        return (database, ours.Id);
    }

    private static async Task<BunitContext> ContextAsync(SqliteTestDatabase database, long organisationId)
    {
        var ctx = new BunitContext();
        ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        ctx.Services.AddMudServices();
        ctx.Services.AddLocalization(o => o.ResourcesPath = "Resources");
        // An enterprise admin sees every class of the organisation (school staff see only their own: ReadScopeTests).
        database.AddTo(ctx.Services, organisationId, memberId: null, PortalRoles.EnterpriseAdmin);
        ctx.Services.AddScoped<ClassesService>();
        ctx.Services.AddScoped<OrganisationService>();
        await Task.CompletedTask;
        return ctx;
    }

    [Fact]
    public async Task Grid_FirstPage_ShowsTwentyFiveOfOwnThirtyClasses()
    {
        var (database, ours) = await ArrangeAsync();
        await using var _ = database;
        await using var ctx = await ContextAsync(database, ours);
        ctx.Render<MudPopoverProvider>();
        var grid = ctx.Render<ClassesGrid>();

        grid.WaitForAssertion(() => Assert.Equal(25, grid.FindAll("tbody tr.mud-table-row").Count), TimeSpan.FromSeconds(10));
        Assert.Contains("1-25 of 30", grid.Markup);
        Assert.DoesNotContain("外部", grid.Markup);
    }

    [Fact]
    public async Task Grid_Search_FiltersOnTheServer()
    {
        var (database, ours) = await ArrangeAsync();
        await using var _ = database;
        await using var ctx = await ContextAsync(database, ours);
        ctx.Render<MudPopoverProvider>();
        var grid = ctx.Render<ClassesGrid>();
        grid.WaitForAssertion(() => Assert.Equal(25, grid.FindAll("tbody tr.mud-table-row").Count), TimeSpan.FromSeconds(10));

        var input = grid.Find("input");
        await grid.InvokeAsync(() => input.Input("高三"));
        grid.WaitForAssertion(() =>
        {
            var rows = grid.FindAll("tbody tr.mud-table-row");
            Assert.Equal(10, rows.Count);
            Assert.All(rows, r => Assert.Contains("高三", r.TextContent));
        }, TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("外部", grid.Markup);
    }

    [Fact]
    public async Task Grid_PolicyChips_ShowLockAndFreeze_InTheReadersLanguage()
    {
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
        var (database, ours) = await ArrangeAsync();
        await using var _ = database;
        await using var ctx = await ContextAsync(database, ours);
        ctx.Render<MudPopoverProvider>();
        var grid = ctx.Render<ClassesGrid>();
        grid.WaitForAssertion(() =>
        {
            var rows = grid.FindAll("tbody tr.mud-table-row");
            Assert.Contains("冻结期", rows[0].TextContent);
            Assert.DoesNotContain("Freeze window", rows[0].TextContent);
            Assert.Contains("禁止退出", rows[1].TextContent);
            Assert.DoesNotContain("冻结期", rows[2].TextContent);
        }, TimeSpan.FromSeconds(10));

        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo("en");
        await using var en = await ContextAsync(database, ours);
        en.Render<MudPopoverProvider>();
        var english = en.Render<ClassesGrid>();
        english.WaitForAssertion(() => Assert.Contains("Exit-locked", english.FindAll("tbody tr.mud-table-row")[1].TextContent), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Grid_RowClick_RaisesOpenWithClassId()
    {
        var (database, ours) = await ArrangeAsync();
        await using var _ = database;
        await using var ctx = await ContextAsync(database, ours);
        long? opened = null;
        ctx.Render<MudPopoverProvider>();
        var grid = ctx.Render<ClassesGrid>(p => p.Add(x => x.OnOpen, (long id) => opened = id));
        grid.WaitForAssertion(() => Assert.NotEmpty(grid.FindAll("tbody tr.mud-table-row")), TimeSpan.FromSeconds(10));
        await grid.InvokeAsync(() => grid.FindAll("tbody tr.mud-table-row")[3].Click());
        await using var db = database.CreateContext().ForTenant(ours);
        var fourth = db.Classes.OrderBy(c => c.Id).Skip(3).First();
        Assert.Equal(fourth.Id, opened);
    }
}
