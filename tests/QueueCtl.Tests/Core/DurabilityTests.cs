using Microsoft.Data.Sqlite;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Storage;
using QueueCtl.Tests.Support;

namespace QueueCtl.Tests.Core;

/// <summary>synchronous NORMAL by default; FULL when a caller or $QUEUECTL_DURABILITY asks for it.</summary>
public sealed class DurabilityTests
{
    [Theory]
    [InlineData(null, Durability.Normal)]
    [InlineData("", Durability.Normal)]
    [InlineData("normal", Durability.Normal)]
    [InlineData("FULL", Durability.Full)]
    [InlineData(" full ", Durability.Full)]
    public void The_environment_picks_the_durability_when_no_caller_does(string? variable, Durability expected)
    {
        Assert.Equal(expected, new StoreOptions().ResolveDurability(name => name == StoreOptions.DurabilityVariable ? variable : null));
    }

    [Fact]
    public void A_caller_overrides_the_environment()
    {
        Assert.Equal(Durability.Normal, new StoreOptions { Durability = Durability.Normal }.ResolveDurability(_ => "full"));
    }

    [Fact]
    public void An_unknown_value_is_refused_with_the_variable_named()
    {
        var e = Assert.Throws<QueueException>(() => new StoreOptions().ResolveDurability(_ => "paranoid"));
        Assert.Equal(QueueErrorKind.InvalidInput, e.Kind);
        Assert.Contains("QUEUECTL_DURABILITY", e.Message);
        Assert.Contains("paranoid", e.Message);
    }

    [Theory]
    [InlineData(Durability.Normal, 1L)]
    [InlineData(Durability.Full, 2L)]
    public void The_connection_uses_the_chosen_synchronous_mode(Durability durability, long pragma)
    {
        using var temp = new TempQueue();
        using var connection = SqliteDatabase.Open(temp.DatabasePath, new StoreOptions { Durability = durability });
        Assert.Equal(pragma, (long)SqliteDatabase.Scalar(connection, "PRAGMA synchronous;")!);
        SqliteConnection.ClearAllPools();
    }
}
