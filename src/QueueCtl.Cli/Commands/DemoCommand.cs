using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using QueueCtl.Cli.Hosting;
using QueueCtl.Core;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Workers;

namespace QueueCtl.Cli.Commands;

/// <summary>
/// queuectl demo: a fresh temporary queue, five jobs that between them walk every path of the
/// lifecycle, two workers that run them to the end with each step printed, then the status and
/// the dead-letter queue. Takes about ten seconds.
/// </summary>
internal static class DemoCommand
{
    public static Command Build()
    {
        var keep = new Option<bool>("--keep") { Description = "Keep the demo's queue database afterwards (its path is printed) to explore it." };
        var demo = new Command("demo", "Show QueueCtl at work on a temporary queue: success, retries and the DLQ, a scheduled job, priority and a timeout.") { keep };
        demo.SetHandler(async parse =>
        {
            var folder = Path.Combine(Path.GetTempPath(), "queuectl-demo-" + Guid.NewGuid().ToString("n")[..8]);
            try { return await Run(Path.Combine(folder, "queue.db"), parse.GetValue(keep)).ConfigureAwait(false); }
            finally
            {
                if (!parse.GetValue(keep))
                {
                    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                    try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                }
            }
        });
        return demo;
    }

    private static async Task<int> Run(string database, bool keep)
    {
        using var queue = JobQueue.Open(database);
        Console.WriteLine($"QueueCtl demo on a fresh queue: {database}");
        Console.WriteLine();
        Say("$ queuectl config set backoff_base 1.5     # retries after 1.5 s, then 2.25 s");
        queue.SetConfig("backoff_base", "1.5");
        Say("$ queuectl config set max_retries 2        # at most 3 attempts");
        queue.SetConfig("max_retries", "2");

        var windows = OperatingSystem.IsWindows();
        JobSpec[] jobs =
        [
            new() { Id = "hello", Command = "echo hello from QueueCtl" },
            new() { Id = "flaky", Command = windows ? "echo failing on purpose 1>&2 & exit /b 3" : "echo failing on purpose >&2; exit 3" },
            new() { Id = "slow", Command = windows ? "ping -n 30 127.0.0.1 >nul" : "sleep 30", TimeoutSec = 1, MaxRetries = 1 },
            new() { Id = "urgent", Command = "echo I jumped the queue", Priority = 10 },
            new() { Id = "later", Command = "echo I waited 2 seconds", Delay = TimeSpan.FromSeconds(2) },
        ];
        Say("$ queuectl enqueue '{\"id\":\"hello\",\"command\":\"echo hello from QueueCtl\"}'");
        Say("$ queuectl enqueue --id flaky \"echo failing on purpose >&2; exit 3\"            # fails every time: retries, then the DLQ");
        Say("$ queuectl enqueue --id slow --timeout 1 --max-retries 1 \"sleep 30\"              # ended after 1 s each attempt");
        Say("$ queuectl enqueue --id urgent --priority 10 \"echo I jumped the queue\"          # enqueued 4th, runs first");
        Say("$ queuectl enqueue --id later --delay 2s \"echo I waited 2 seconds\"              # scheduled");
        queue.EnqueueMany(jobs);
        Console.WriteLine();
        Say("$ queuectl worker start --count 2");

        var clock = Stopwatch.StartNew();
        var gate = new object();
        void Print(WorkerEvent e)
        {
            if (e.Kind is WorkerEventKind.Warning && e.Message.Contains("heartbeat", StringComparison.Ordinal)) return;
            var job = e.JobId is null ? "" : e.Attempt is null ? e.JobId : $"{e.JobId}#{e.Attempt}";
            lock (gate)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {clock.Elapsed.TotalSeconds,5:0.0}s  {e.WorkerId,-8}  {e.Kind.ToString().ToLowerInvariant(),-12} {job,-9} {e.Message}"));
        }

        using var signals = new StopSignals();
        var workers = Enumerable.Range(1, 2).Select(i => new Worker(database, new WorkerOptions { WorkerId = $"demo-w{i}" })).ToList();
        foreach (var worker in workers) worker.EventRaised += Print;
        var running = workers.Select(w => w.RunAsync(signals.Graceful.Token, signals.Immediate.Token)).ToList();

        var exit = 0;
        try
        {
            using var interrupted = CancellationTokenSource.CreateLinkedTokenSource(signals.Graceful.Token);
            await queue.WaitForJobsAsync(jobs.Select(j => j.Id!).ToList(), TimeSpan.FromSeconds(90), cancel: interrupted.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) { exit = 130; }
        catch (Core.Errors.QueueException e) { exit = Common.Fail(e); }
        finally
        {
            queue.StopWorkers(workers.Select(w => w.Id).ToList());
            await Task.WhenAll(running).ConfigureAwait(false);
        }

        Console.WriteLine();
        Say("$ queuectl status");
        StatusCommand.Write(queue.GetStatus());
        Console.WriteLine();
        Say("$ queuectl dlq list");
        DlqCommands.Write(queue.ListJobs(new JobFilter { States = [JobState.Dead] }));
        Console.WriteLine();
        Console.WriteLine(keep
            ? $"The demo queue is kept: queuectl --db {database} list"
            : "Restore a dead job with 'queuectl dlq retry ID'; see why it died with 'queuectl show ID'. (Run 'queuectl demo --keep' to explore the demo queue.)");
        return exit;
    }

    private static void Say(string line) => Console.WriteLine(line);
}
