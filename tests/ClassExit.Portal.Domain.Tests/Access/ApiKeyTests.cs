using ClassExit.Portal.Domain.Access;

namespace ClassExit.Portal.Domain.Tests.Access;

public class ApiKeyTests
{
    [Fact]
    public void New_StoresHashNotSecret()
    {
        var key = new ApiKey(1, "HR", 5, "demo-school-hr-key", DateTimeOffset.UnixEpoch);
        Assert.NotEqual("demo-school-hr-key", key.KeyHash);
        Assert.Equal(64, key.KeyHash.Length);
        Assert.Equal(ApiKey.Hash("demo-school-hr-key"), key.KeyHash);
        Assert.Equal("demo-s", key.Prefix);
    }

    [Fact]
    public void NewSecret_IsRandomAndLong()
    {
        var a = ApiKey.NewSecret();
        var b = ApiKey.NewSecret();
        Assert.NotEqual(a, b);
        Assert.True(a.Length >= 40);
    }

    [Fact]
    public void Revoke_Twice_KeepsFirstTime()
    {
        var key = new ApiKey(1, "HR", 5, "secret-value", DateTimeOffset.UnixEpoch);
        key.Revoke(DateTimeOffset.UnixEpoch.AddDays(1));
        key.Revoke(DateTimeOffset.UnixEpoch.AddDays(2));
        Assert.False(key.IsActive);
        Assert.Equal(DateTimeOffset.UnixEpoch.AddDays(1), key.RevokedAt);
    }
}
