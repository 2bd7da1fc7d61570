using ClassExit.Portal.Domain.Exits.Policy;

namespace ClassExit.Portal.Domain.Tests.Exits;

public class ClientVersionTests
{
    [Theory]
    [InlineData("3.1.9", "3.1.10", -1)]
    [InlineData("3.1.10", "3.1.10", 0)]
    [InlineData("3.10.0", "3.1.10", 1)]
    [InlineData("3.2", "3.1.10", 1)]
    public void CompareTo_IsNumericPerPart(string a, string b, int sign) =>
        Assert.Equal(sign, Math.Sign(ClientVersion.Parse(a).CompareTo(ClientVersion.Parse(b))));

    [Theory]
    [InlineData("")]
    [InlineData("3")]
    [InlineData("3.1.10.2")]
    [InlineData("3.x.1")]
    [InlineData("v3.1.10")]
    [InlineData("3..1")]
    public void TryParse_Malformed_False(string text) => Assert.False(ClientVersion.TryParse(text, out _));
}
