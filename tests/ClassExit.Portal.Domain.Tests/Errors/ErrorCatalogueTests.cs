using ClassExit.Portal.Domain.Errors;

namespace ClassExit.Portal.Domain.Tests.Errors;

public class ErrorCatalogueTests
{
    // Every code and HTTP status of api.md's catalogue.
    [Theory]
    [InlineData(40001, 400)]
    [InlineData(40002, 400)]
    [InlineData(40101, 401)]
    [InlineData(40301, 403)]
    [InlineData(40401, 404)]
    [InlineData(40901, 409)]
    [InlineData(42901, 429)]
    [InlineData(50031, 409)]
    [InlineData(50089, 422)]
    [InlineData(50177, 422)]
    [InlineData(50101, 409)]
    [InlineData(50102, 409)]
    [InlineData(50103, 409)]
    [InlineData(50104, 409)]
    [InlineData(50105, 409)]
    [InlineData(50201, 409)]
    [InlineData(50202, 409)]
    [InlineData(50203, 409)]
    [InlineData(50204, 422)]
    [InlineData(50301, 409)]
    public void Get_ApiMdCode_HasStatusAndBothLanguages(int code, int status)
    {
        var d = ErrorCatalogue.Get(code);
        Assert.Equal(status, d.HttpStatus);
        Assert.False(string.IsNullOrWhiteSpace(d.MessageZh));
        Assert.False(string.IsNullOrWhiteSpace(d.MessageEn));
        Assert.False(string.IsNullOrWhiteSpace(d.RemedyZh));
        Assert.False(string.IsNullOrWhiteSpace(d.RemedyEn));
    }

    [Fact]
    public void All_ChineseMessagesContainChinese()
    {
        Assert.NotEmpty(ErrorCatalogue.All);
        Assert.All(ErrorCatalogue.All, d => Assert.Contains(d.MessageZh, c => c >= '\u4e00' && c <= '\u9fff'));
    }

    [Fact]
    public void ClientTooOld_RemedyNamesMinimumVersion() => Assert.Contains("3.1.10", ErrorCatalogue.Get(50177).RemedyEn);

    [Fact]
    public void Get_UnknownCode_Throws() => Assert.Throws<KeyNotFoundException>(() => ErrorCatalogue.Get(12345));
}
