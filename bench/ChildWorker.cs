using System.Diagnostics;
using System.Globalization;
using QueueCtl.Core;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Workers;

namespace QueueCtl.Bench;

/// <summary>
/// The bench executable started as a child: one worker process running Core's Worker with the
/// no-op executor (queuectl's own workers always run commands, so they cannot measure the
/// machinery alone). Protocol on stdin/stdout:
///   child  → "ready"                 after a warm-up run on a scratch queue (the JIT is warm)
///   parent → "go"                    start the worker on --db
///   child  → "start ID TICKS"        with --report-starts, as each job starts (Stopwatch ticks are
///                                    CLOCK_MONOTONIC, comparable across processes on Linux)
///   parent → closes stdin            graceful stop; the child exits when its worker has stopped
/// </summary>
internal static class ChildWorker
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? db = null, id = null;
        var slots = 1;
        var reportStarts = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--db": db = args[++i]; break;
                case "--slots": slots = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--worker-id": id = args[++i]; break;
                case "--report-starts": reportStarts = true; break;
            }
        }
        if (db is null) { Console.Error.WriteLine("child worker: --db is required"); return 2; }

        await WarmUpAsync(slots).ConfigureAwait(false);
        var stdout = Console.Out;
        stdout.WriteLine("ready");
        stdout.Flush();
        if (Console.In.ReadLine() != "go") return 0;

        var gate = new object();
        var executor = new NoopExecutor
        {
            Started = reportStarts ? (job, ticks) => { lock (gate) { stdout.WriteLine($"start {job.Id} {ticks}"); stdout.Flush(); } } : null,
        };
        using var stop = new CancellationTokenSource();
        var worker = new Worker(db, new WorkerOptions { Slots = slots, WorkerId = id }, executor);
        var run = worker.RunAsync(stop.Token);
        _ = Task.Run(() =>
        {
            while (Console.In.ReadLine() is not null) { }
            stop.Cancel();
        });
        await run.ConfigureAwait(false);
        return 0;
    }

    /// <summary>Runs the same code paths once on a scratch queue so that the measured run is not a JIT measurement.</summary>
    public static async Task WarmUpAsync(int slots)
    {
        using var scratch = new Scratch();
        var path = scratch.NewDatabase("warmup");
        using (var queue = JobQueue.Open(path))
        {
            queue.EnqueueMany(Enumerable.Range(0, 500).Select(i => new JobSpec { Command = "true" }).ToList());
            queue.Enqueue(new JobSpec { Command = "true" });
        }
        var worker = new Worker(path, new WorkerOptions { Slots = slots, Drain = true }, new NoopExecutor());
        var clock = Stopwatch.StartNew();
        await worker.RunAsync().ConfigureAwait(false);
        Scratch.Delete(path);
    }
}
