using System.Runtime;
using QueueCtl.Cli.Input;

namespace QueueCtl.Tests.Cli;

/// <summary>The collector is paused only for a large input, and the pause always ends.</summary>
public class CollectionPauseTests
{
    [Fact]
    public void A_small_input_does_not_pause_the_collector()
    {
        Assert.Null(CollectionPause.For(64 * 1024));
    }

    [Fact]
    public void A_large_input_pauses_the_collector_until_disposed()
    {
        var pause = CollectionPause.For(4 << 20);

        Assert.NotNull(pause);
        pause.Dispose();
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
        pause.Dispose(); // twice is harmless
    }

    [Fact]
    public void A_pause_that_ran_out_of_room_ends_quietly()
    {
        using var pause = CollectionPause.For(2 << 20);
        Assert.NotNull(pause);

        // More than was set aside (2 MiB × 16 + 16 MiB): the runtime ends the pause with a collection.
        var kept = new List<byte[]>();
        for (var i = 0; i < 80; i++) kept.Add(new byte[1 << 20]);

        Assert.Equal(80, kept.Count);
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }
}
