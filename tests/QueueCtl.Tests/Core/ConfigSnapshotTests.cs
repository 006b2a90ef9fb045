namespace QueueCtl.Tests.Core;

/// <summary>
/// The store keeps the configuration it last read until another connection commits (PRAGMA
/// data_version). A change must still show at once, whichever way it was written.
/// </summary>
public class ConfigSnapshotTests
{
    [Fact]
    public void A_change_through_the_same_queue_shows_at_once()
    {
        using var q = new CoreQueue();
        Assert.Equal(3, q.Queue.GetConfig().MaxRetries);

        q.Queue.SetConfig("max_retries", "9");

        Assert.Equal(9, q.Queue.GetConfig().MaxRetries);
        Assert.Equal(9, q.Queue.Enqueue(new() { Command = "true" }).MaxRetries);
    }

    [Fact]
    public void A_change_through_another_connection_shows_at_once()
    {
        using var q = new CoreQueue();
        Assert.Equal(3, q.Store.GetConfig().MaxRetries);
        Assert.Equal(3, q.Queue.Enqueue(new() { Command = "true" }).MaxRetries);

        q.Queue.SetConfig("max_retries", "5");
        Assert.Equal(5, q.Store.GetConfig().MaxRetries);

        q.Scalar("UPDATE config SET value = '6' WHERE key = 'max_retries'"); // by hand, past QueueCtl
        Assert.Equal(6, q.Store.GetConfig().MaxRetries);
        Assert.Equal(6, q.Queue.Enqueue(new() { Command = "true" }).MaxRetries);
    }
}
