using ClassExit.Portal.Features.Retention;

namespace ClassExit.Portal.Tests.Features.Retention;

public class PurgeBatchSizerTests
{
    private static readonly TimeSpan Target = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void StartsSmall_AtMostDoublesWhileFast_StopsAtTheCap()
    {
        var sizer = new PurgeBatchSizer(4000, Target);
        Assert.Equal(PurgeBatchSizer.FirstBatch, sizer.Next);
        var seen = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            var before = sizer.Next;
            sizer.Observe(before, 0, TimeSpan.FromMilliseconds(1));
            Assert.True(sizer.Next <= 2 * before, $"{before} -> {sizer.Next}");
            seen.Add(sizer.Next);
        }
        Assert.Equal([1000, 2000, 4000, 4000, 4000, 4000], seen);
    }

    [Fact]
    public void SlowBatch_ShrinksTheNextOneToTheTargetTime()
    {
        var sizer = new PurgeBatchSizer(4000, Target);
        sizer.Observe(500, 0, TimeSpan.FromMilliseconds(400));
        Assert.Equal(125, sizer.Next);
    }

    [Fact]
    public void ManyReceiptsPerMessage_KeepEachStatementUnderTheRowLockLimit()
    {
        var sizer = new PurgeBatchSizer(4000, Target);
        // 500 messages carried 20,000 receipts (40 each): the next batch's receipts must stay within 4,000 rows.
        sizer.Observe(500, 20_000, TimeSpan.FromMilliseconds(10));
        Assert.Equal(100, sizer.Next);
        Assert.True(sizer.Next * 40 <= PurgeBatchSizer.MaxRowsPerStatement);
    }

    [Fact]
    public void ConfiguredMaximumAboveTheRowLockLimit_IsCapped()
    {
        var sizer = new PurgeBatchSizer(100_000, Target);
        for (var i = 0; i < 20; i++) sizer.Observe(sizer.Next, 0, TimeSpan.FromMilliseconds(1));
        Assert.Equal(PurgeBatchSizer.MaxRowsPerStatement, sizer.Next);
    }
}
