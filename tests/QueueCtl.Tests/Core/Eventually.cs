using System.Diagnostics;

namespace QueueCtl.Tests.Core;

/// <summary>Polls for a condition instead of sleeping for a guessed time; fails with a description when it never holds.</summary>
internal static class Eventually
{
    public static async Task True(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > timeout)
                Assert.Fail($"still not true after {timeout.TotalSeconds:0} s: {describe()}");
            await Task.Delay(50);
        }
    }

    public static Task True(Func<bool> condition, TimeSpan timeout, string what) => True(condition, timeout, () => what);

    /// <summary>Whether a process is running (a zombie waiting to be reaped counts as gone).</summary>
    public static bool ProcessRuns(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state != "Z" && state != "X";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
