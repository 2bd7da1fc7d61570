using System.Security.Cryptography;
using System.Text;
using ClassExit.Portal.Domain.Audit;

namespace ClassExit.Portal.Domain.Tests.Audit;

public class AuditMacTests
{
    private static readonly AuditKey Key = new("k1", Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    private static AuditEntry Entry(string? actorName = "张老师", string? details = "{\"a\":1}", string? targetId = "42", long? org = 7) =>
        new(org, new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero), "exit.completed", AuditOutcome.Succeeded, "user-1", 5, actorName,
            "ExitRequest", targetId, "corr", classId: 3, memberId: 9, code: 50401, isSecurityEvent: true, details: details);

    [Fact]
    public void Canonical_IsLengthPrefixedUtf8_InTheDocumentedOrder_WithoutTheRowId()
    {
        var text = Encoding.UTF8.GetString(AuditMac.Canonical(Entry(), 12, "k1", "ab"));
        var ticks = new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero).UtcTicks;
        Assert.Equal($"classexit-audit-v1;1:7;2:12;{ticks.ToString().Length}:{ticks};14:exit.completed;1:0;5:50401;6:user-1;1:5;9:张老师;11:ExitRequest;2:42;1:3;1:9;4:corr;1:1;7:{{\"a\":1}};2:k1;2:ab;", text);
    }

    [Fact]
    public void Mac_IsHmacSha256OfTheCanonicalForm_UnderTheKey()
    {
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Key.Secret, AuditMac.Canonical(Entry(), 1, "k1", null)));
        Assert.Equal(expected, AuditMac.Compute(Key, Entry(), 1, null));
        Assert.Equal(64, expected.Length);
    }

    [Fact]
    public void EveryField_Position_Link_AndKey_ChangeTheMac()
    {
        var mac = AuditMac.Compute(Key, Entry(), 2, "prev");
        var variants = new[]
        {
            AuditMac.Compute(Key, Entry(actorName: "李老师"), 2, "prev"),
            AuditMac.Compute(Key, Entry(details: null), 2, "prev"),
            AuditMac.Compute(Key, Entry(targetId: null), 2, "prev"),
            AuditMac.Compute(Key, Entry(org: null), 2, "prev"),
            AuditMac.Compute(Key, Entry(), 3, "prev"),
            AuditMac.Compute(Key, Entry(), 2, "prev2"),
            AuditMac.Compute(Key, Entry(), 2, null),
            AuditMac.Compute(Key with { Id = "k2" }, Entry(), 2, "prev"),
            AuditMac.Compute(AuditKeys.NewKey("k1"), Entry(), 2, "prev"),
        };
        Assert.NotEmpty(variants);
        Assert.All(variants, v => Assert.NotEqual(mac, v));
        Assert.Equal(variants.Length, variants.Distinct().Count());
    }

    [Fact]
    public void NullAndEmpty_AndShiftedValues_AreDistinct()
    {
        Assert.NotEqual(AuditMac.Canonical(Entry(targetId: null), 1, "k1", null), AuditMac.Canonical(Entry(targetId: ""), 1, "k1", null));
        // A value moved from one field into its neighbour does not give the same bytes.
        Assert.NotEqual(AuditMac.Canonical(Entry(actorName: "a;b", targetId: "c"), 1, "k1", null), AuditMac.Canonical(Entry(actorName: "a", targetId: "b;c"), 1, "k1", null));
    }

    [Fact]
    public void Calculator_Matches_OnlyTheRightMac_AndReusesItsState()
    {
        using var calculator = new AuditMacCalculator();
        var mac = calculator.Compute(Key, Entry(), 4, "p");
        Assert.Equal(AuditMac.Compute(Key, Entry(), 4, "p"), mac);
        Assert.True(calculator.Matches(Key, Entry(), 4, "p", mac));
        Assert.True(calculator.Matches(Key, Entry(), 4, "p", mac));
        Assert.False(calculator.Matches(Key, Entry(actorName: "x"), 4, "p", mac));
        Assert.False(calculator.Matches(Key, Entry(), 4, "p", null));
        Assert.False(calculator.Matches(Key, Entry(), 4, "p", "not hex"));
        Assert.False(calculator.Matches(Key, Entry(), 4, "p", AuditHash.Compute(Entry(), 4, "p")));
    }

    [Fact]
    public void Keys_RefuseShortKeys_BadIds_Duplicates_AndAMissingCurrentKey()
    {
        Assert.Throws<ArgumentException>(() => new AuditKeys("a", [new AuditKey("a", new byte[16])]));
        Assert.Throws<ArgumentException>(() => new AuditKeys("a b", [new AuditKey("a b", new byte[32])]));
        Assert.Throws<ArgumentException>(() => new AuditKeys("a", [AuditKeys.NewKey("a"), AuditKeys.NewKey("a")]));
        Assert.Throws<ArgumentException>(() => new AuditKeys("c", [AuditKeys.NewKey("a")]));
        var ring = new AuditKeys("b", [AuditKeys.NewKey("a"), AuditKeys.NewKey("b")]);
        Assert.Equal("b", ring.Current.Id);
        Assert.NotNull(ring.Find("a"));
        Assert.Null(ring.Find("c"));
    }

    [Fact]
    public void CheckpointPayload_CoversEveryField()
    {
        var c = new AuditCheckpoint(7, 100, "mac", "k1", new DateTimeOffset(2026, 12, 2, 1, 2, 3, TimeSpan.FromHours(8)));
        Assert.Equal("classexit-audit-checkpoint-v1|7|100|mac|k1|2026-12-01T17:02:03.0000000Z", c.Payload());
        Assert.NotEqual(c.Payload(), (c with { Sequence = 99 }).Payload());
        Assert.NotEqual(c.Payload(), (c with { HeadMac = "other" }).Payload());
    }
}
