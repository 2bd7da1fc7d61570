using System.Net;
using ClassExit.Portal.Data.Seed;
using ClassExit.Portal.Tests.Infrastructure;

namespace ClassExit.Portal.Tests.Features.Classes;

[Collection(PortalCollection.Name)]
public class ClassesApiTests(PortalFactory factory)
{
    [Fact]
    public async Task ListClasses_ItemsCarryEveryApiMdField()
    {
        var body = await (await factory.WithKey(DemoSeeder.SchoolApiKey).GetAsync("/api/v1/classes?page=1&page_size=5")).JsonAsync();
        Assert.Equal(5, body.GetProperty("items").GetArrayLength());
        Assert.True(body.GetProperty("total").GetInt32() >= 40);
        var item = body.GetProperty("items")[0];
        foreach (var field in new[] { "class_id", "name", "status", "owner_member_id", "member_count", "classification", "term_ends_on", "exit_locked" })
            Assert.True(item.TryGetProperty(field, out _), $"missing {field}");
        Assert.Equal("active", item.GetProperty("status").GetString());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", item.GetProperty("term_ends_on").GetString());
    }

    [Fact]
    public async Task ListClasses_Search_FiltersByName()
    {
        var body = await (await factory.WithKey(DemoSeeder.SchoolApiKey).GetAsync("/api/v1/classes?search=" + Uri.EscapeDataString("高二"))).JsonAsync();
        Assert.Equal(12, body.GetProperty("total").GetInt32());
        Assert.Equal(12, body.GetProperty("items").GetArrayLength());
        Assert.All(body.GetProperty("items").EnumerateArray(), i => Assert.Contains("高二", i.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task ListClasses_PolicyClassesVisibleThroughFields()
    {
        var items = (await (await factory.WithKey(DemoSeeder.SchoolApiKey).GetAsync("/api/v1/classes?page_size=200")).JsonAsync())
            .GetProperty("items").EnumerateArray().ToList();
        Assert.Contains(items, i => i.GetProperty("exit_locked").GetBoolean());
        Assert.Contains(items, i => i.GetProperty("classification").GetString() == "key");
        Assert.Contains(items, i => i.GetProperty("classification").GetString() == "classified");
    }

    [Theory]
    [InlineData("page=0")]
    [InlineData("page_size=0")]
    [InlineData("page_size=201")]
    [InlineData("page=abc")]
    public async Task ListClasses_BadPaging_Is400With40002(string query)
    {
        var response = await factory.WithKey(DemoSeeder.SchoolApiKey, "en").GetAsync("/api/v1/classes?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.JsonAsync();
        Assert.Equal(40002, problem.GetProperty("code").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("remedy").GetString()));
    }

    [Fact]
    public async Task ListMembers_OwnerFirstWithRolesAndStates()
    {
        var api = factory.WithKey(DemoSeeder.SchoolApiKey);
        var firstClass = (await (await api.GetAsync("/api/v1/classes?page_size=1")).JsonAsync()).GetProperty("items")[0];
        var members = await (await api.GetAsync($"/api/v1/classes/{firstClass.GetProperty("class_id").GetInt64()}/members?page_size=100")).JsonAsync();
        var items = members.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal("owner", items[0].GetProperty("class_role").GetString());
        Assert.Equal(firstClass.GetProperty("owner_member_id").GetInt64(), items[0].GetProperty("member_id").GetInt64());
        Assert.Contains(items, i => i.GetProperty("class_role").GetString() == "class_admin");
        Assert.All(items, i => Assert.Equal("active", i.GetProperty("state").GetString()));
        Assert.Equal(firstClass.GetProperty("member_count").GetInt32(), members.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Me_NamesOrganisationAndKeyOwner()
    {
        var me = await (await factory.WithKey(DemoSeeder.SchoolApiKey).GetAsync("/api/v1/me")).JsonAsync();
        Assert.Equal("Demo School", me.GetProperty("organisation_name").GetString());
        Assert.True(me.GetProperty("owner_member_id").GetInt64() > 0);
        Assert.True(me.GetProperty("organisation_id").GetInt64() > 0);
        Assert.False(string.IsNullOrEmpty(me.GetProperty("key_name").GetString()));
    }

    [Fact]
    public async Task Problem_DefaultsToChinese_EnglishOnRequest()
    {
        var zh = await (await factory.WithKey(null).GetAsync("/api/v1/classes")).JsonAsync();
        Assert.Contains("密钥", zh.GetProperty("title").GetString());
        var en = await (await factory.WithKey(null, "en-GB,en;q=0.9").GetAsync("/api/v1/classes")).JsonAsync();
        Assert.Contains("API key", en.GetProperty("title").GetString());
    }
}
