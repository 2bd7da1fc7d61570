using ClassExit.Portal.Domain.Access;

namespace ClassExit.Portal.Domain.Tests.Access;

public class ApiScopesTests
{
    [Fact]
    public void Format_TrimsDeduplicatesAndOrdersAsTheCatalogue()
    {
        Assert.Equal("exits:client read", ApiScopes.Format([" read", ApiScopes.ClientExits, "read "]));
        Assert.Equal("exits:client exits:batch read devices", ApiScopes.Format([ApiScopes.Devices, ApiScopes.Read, ApiScopes.BatchExits, ApiScopes.ClientExits]));
    }

    [Theory]
    [InlineData("admin")]
    [InlineData("READ")]
    [InlineData("exits")]
    public void Format_UnknownScope_Throws(string unknown)
    {
        var ex = Assert.Throws<ArgumentException>(() => ApiScopes.Format([ApiScopes.Read, unknown]));
        Assert.Contains(unknown, ex.Message);
        Assert.False(ApiScopes.IsKnown(unknown));
    }

    [Fact]
    public void Format_NoScope_Throws()
    {
        Assert.Throws<ArgumentException>(() => ApiScopes.Format([]));
        Assert.Throws<ArgumentException>(() => ApiScopes.Format(["", "  "]));
    }

    [Theory]
    [InlineData(null, new string[0])]
    [InlineData("", new string[0])]
    [InlineData("read", new[] { "read" })]
    [InlineData("  exits:batch   read ", new[] { "exits:batch", "read" })]
    public void Parse_SplitsOnSpaces(string? stored, string[] expected) =>
        Assert.Equal(expected.ToHashSet(), ApiScopes.Parse(stored));

    [Fact]
    public void FormatThenParse_RoundTripsEveryScope()
    {
        Assert.Equal(4, ApiScopes.All.Count);
        Assert.Equal(ApiScopes.All.ToHashSet(), ApiScopes.Parse(ApiScopes.Format(ApiScopes.All)));
    }

    [Fact]
    public void ApiKey_WithoutScopes_HasEvery_WithScopes_OnlyThose()
    {
        var all = new ApiKey(1, "HR", 5, "secret-value", DateTimeOffset.UnixEpoch);
        Assert.NotEmpty(ApiScopes.All);
        Assert.All(ApiScopes.All, s => Assert.True(all.HasScope(s), s));

        var readOnly = new ApiKey(1, "report", 5, "secret-value-2", DateTimeOffset.UnixEpoch, [ApiScopes.Read]);
        Assert.Equal("read", readOnly.Scopes);
        Assert.True(readOnly.HasScope(ApiScopes.Read));
        Assert.False(readOnly.HasScope(ApiScopes.BatchExits));
        Assert.False(readOnly.HasScope(ApiScopes.ClientExits));
        Assert.False(readOnly.HasScope(ApiScopes.Devices));
    }

    [Fact]
    public void ApiKey_WithAnEmptyScopeList_Throws() =>
        Assert.Throws<ArgumentException>(() => new ApiKey(1, "none", 5, "secret-value", DateTimeOffset.UnixEpoch, []));
}
