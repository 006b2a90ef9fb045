using QueueCtl.Core.Workers;

namespace QueueCtl.Tests.Core;

/// <summary>
/// The wake-up a worker waits on: its own wake-ups and those sent by other processes both end the
/// wait, but only the latter make the worker read its stop and cancel requests.
/// </summary>
public class WakeSignalTests
{
    [Fact]
    public async Task A_wake_up_from_another_process_is_told_apart_from_the_workers_own()
    {
        using var wake = new WakeSignal(listen: true);
        Assert.NotNull(wake.Port);

        wake.Set();
        Assert.True(await wake.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.False(wake.TakeExternal());

        WakeSignal.Notify([wake.Port!.Value]);
        Assert.True(await wake.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.True(wake.TakeExternal());
        Assert.False(wake.TakeExternal()); // taken once

        Assert.False(await wake.WaitAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None));
    }

    [Fact]
    public async Task A_datagram_that_arrives_while_a_wake_up_is_pending_is_still_seen()
    {
        using var wake = new WakeSignal(listen: true);
        wake.Set(); // while this is pending the datagram's own wake-up is dropped; its mark must not be
        WakeSignal.Notify([wake.Port!.Value]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        var external = false;
        while (!external && DateTime.UtcNow < deadline)
        {
            await wake.WaitAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None);
            external = wake.TakeExternal();
        }
        Assert.True(external);
    }
}
