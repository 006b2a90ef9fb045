using System.Runtime.InteropServices;
using System.Text.Json;
using QueueCtl.Core;
using QueueCtl.Core.Jobs;
using QueueCtl.Tests.Support;

namespace QueueCtl.Tests.Cli;

/// <summary>Shorthands for running queuectl against a test queue and checking what it did.</summary>
internal static class Cli
{
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(120);

    /// <summary>queuectl --db QUEUE ARGS (--db first, so that "--" in ARGS cannot swallow it).</summary>
    public static CliResult Run(TempQueue queue, params string[] args) => RunWithInput(queue, null, args);

    public static CliResult RunWithInput(TempQueue queue, string? stdin, params string[] args) =>
        CliRunner.Run(stdin, null, Generous, ["--db", queue.DatabasePath, .. args]);

    public static CliResult Ok(TempQueue queue, params string[] args)
    {
        var result = Run(queue, args);
        Assert.True(result.ExitCode == 0, $"queuectl {string.Join(' ', args)}\n{result}");
        return result;
    }

    public static JsonElement Json(CliResult result)
    {
        using var document = JsonDocument.Parse(result.StdOut);
        return document.RootElement.Clone();
    }

    /// <summary>Asserts a refusal: the exit code, one "queuectl: ..." line naming the problem, nothing on stdout.</summary>
    public static void AssertRefused(CliResult result, int exitCode, params string[] fragments)
    {
        Assert.True(result.ExitCode == exitCode, $"expected exit {exitCode}\n{result}");
        Assert.StartsWith("queuectl: ", result.StdErr);
        foreach (var fragment in fragments)
            Assert.True(result.StdErr.Contains(fragment, StringComparison.OrdinalIgnoreCase), $"stderr should mention '{fragment}'\n{result}");
        Assert.Equal("", result.StdOut);
    }

    /// <summary>Everything a command could change: jobs (all fields), attempts, configuration, workers.</summary>
    public static string Snapshot(string database)
    {
        using var queue = JobQueue.Open(database);
        var jobs = queue.ListJobs().Select(j => new
        {
            j.Id, j.Command, j.Shell, j.Queue, j.Priority, j.State, j.Attempts, j.MaxRetries, j.TimeoutSec, j.RunAt, j.NextRunAt,
            j.WorkingDirectory, j.Environment, j.ExitCode, j.LastError, j.Output, j.UpdatedAt,
            Attempts_ = queue.GetAttempts(j.Id).Select(a => new { a.Number, a.Outcome, a.Error }).ToList(),
        });
        var config = queue.GetConfigEntries().Select(e => $"{e.Key}={e.Value}");
        var workers = queue.ListWorkers(includeStopped: true).Select(w => $"{w.Id}:{w.State}");
        return JsonSerializer.Serialize(new { jobs, config, workers });
    }

    public static QueueJob Job(TempQueue temp, string id)
    {
        using var queue = JobQueue.Open(temp.DatabasePath);
        return queue.GetJob(id);
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails the test (not on timing, on outcome) if it never does.</summary>
    public static async Task Eventually(Func<bool> condition, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? Generous);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"never happened: {what}");
            await Task.Delay(100);
        }
    }

    public static void SendSigterm(int pid) => Assert.Equal(0, kill(pid, 15));

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
