using System.Globalization;
using QueueCtl.Tests.Faults;
using QueueCtl.Tests.Support;

namespace QueueCtl.Tests.Core;

/// <summary>
/// SQLite's process-wide settings (SqliteProcessSettings): taken when Core is the first to start
/// SQLite in a process, left as they are when other code started it first. Each case runs in a
/// process of its own (the fault driver): this test process starts SQLite in no fixed order.
/// </summary>
public sealed class SqliteProcessSettingsTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Core_sets_SQLite_up_only_when_it_starts_it_and_queues_work_either_way(bool sqliteStartedFirst)
    {
        using var temp = new TempQueue();
        List<string> args = ["sqlite-settings", "--db", temp.DatabasePath];
        if (sqliteStartedFirst) args.AddRange(["--sqlite-first", "yes"]);
        using var driver = FaultDriver.Start(args);
        var output = driver.StandardOutput.ReadToEndAsync();
        var errors = driver.StandardError.ReadToEndAsync();
        await driver.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(driver.ExitCode == 0, await errors);

        // "memory_used N jobs M"
        var words = (await output).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(["memory_used", "jobs"], new[] { words[0], words[2] });
        var memoryUsed = long.Parse(words[1], CultureInfo.InvariantCulture);
        Assert.Equal(1, int.Parse(words[3], CultureInfo.InvariantCulture));
        // SQLite counts the memory it holds unless its statistics are off, as Core sets them when it starts SQLite.
        if (sqliteStartedFirst) Assert.True(memoryUsed > 0, $"SQLite started by other code should keep its statistics; it reports {memoryUsed} bytes");
        else Assert.Equal(0, memoryUsed);
    }
}
