using System.Globalization;
using Bunit;
using ClassExit.Portal.Features.Audit;
using Microsoft.Extensions.DependencyInjection;

namespace ClassExit.Portal.Tests.Features.Audit;

/// <summary>The audit entry's before → after, field by field, in the reader's language.</summary>
public class AuditChangesTests
{
    private const string PolicyChange = """
        {"before":{"exitRequiresApproval":false,"minimumClientVersion":"3.1.10","adminRetentionDays":null,"termEndsOn":"2027-01-16","classification":"Normal"},
         "after":{"exitRequiresApproval":true,"minimumClientVersion":"3.1.10","adminRetentionDays":null,"termEndsOn":"2026-12-01","classification":"Key"}}
        """;

    [Fact]
    public async Task ChangedFieldsComeFirst_LabelledAndWordedInChinese_VersionsStayVersions()
    {
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
        await using var ctx = new BunitContext();
        ctx.Services.AddLocalization(o => o.ResourcesPath = "Resources");
        var cut = ctx.Render<AuditChanges>(p => p.Add(x => x.Details, PolicyChange));
        var rows = cut.FindAll("tbody tr").Select(r => r.QuerySelectorAll("td").Select(td => td.TextContent).ToArray()).ToList();

        Assert.Equal(["退出需审批", "否", "是"], rows[0]);
        Assert.Equal(["学期结束", "2027/1/16", "2026/12/1"], rows[1]);
        Assert.Equal(["密级", "普通", "关键班级"], rows[2]);
        Assert.Contains(["最低客户端版本", "3.1.10", "3.1.10"], rows);
        Assert.Contains(["企业管理员（天）", "永久", "永久"], rows);
        Assert.Equal(3, cut.FindAll("tbody tr[data-changed=true]").Count);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not json")]
    [InlineData("{\"title\":\"no before and after\"}")]
    public async Task DetailsWithoutBeforeAndAfter_ShowNoTable(string? details)
    {
        await using var ctx = new BunitContext();
        ctx.Services.AddLocalization(o => o.ResourcesPath = "Resources");
        var cut = ctx.Render<AuditChanges>(p => p.Add(x => x.Details, details));
        Assert.Empty(cut.FindAll("table"));
    }
}
