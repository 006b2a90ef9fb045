using System.Diagnostics;
using System.Globalization;
using QueueCtl.Core;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Workers;

namespace QueueCtl.Bench;

/// <summary>
/// The bench executable started as a child: one worker process running Core's Worker with the
/// no-op executor (queuectl's own workers always run commands, so they cannot measure the
/// machinery alone). One child serves run after run, so that a run does not wait for processes
/// to start. Protocol on stdin/stdout:
///   child  → "ready"                 after a warm-up run on a scratch queue (the JIT is warm)
///   parent → "go [DB ID [drain]]"    start a worker on DB as ID (default: --db, a new id). With "drain"
///                                    the worker stops by itself once the queue is empty (as
///                                    `worker run --once`) and the child answers "stopped" unasked
///   parent → "open DB ID [drain]"    start a worker on DB as ID but hold it once registered: the child
///                                    answers "registered" and the worker waits there (before it
///                                    recovers or claims) until the parent sends "release"
///   child  → "start ID TICKS"        with --report-starts, as each job starts (Stopwatch ticks are
///                                    CLOCK_MONOTONIC, comparable across processes on Linux)
///   parent → "stop"                  graceful stop; the child answers "stopped COUNT TICKS" once its
///                                    worker has stopped (jobs it completed, and when the last one
///                                    completed), and waits for the next "go"
///   parent → closes stdin            as "stop" when a worker runs; then the child exits
/// </summary>
internal static class ChildWorker
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? db = null;
        var slots = 1;
        var reportStarts = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--db": db = args[++i]; break;
                case "--slots": slots = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--report-starts": reportStarts = true; break;
            }
        }

        await WarmUpAsync(slots).ConfigureAwait(false);
        var stdout = Console.Out;
        stdout.WriteLine("ready");
        stdout.Flush();

        var gate = new object();
        var executor = new NoopExecutor
        {
            Started = reportStarts ? (job, ticks) => { lock (gate) { stdout.WriteLine($"start {job.Id} {ticks}"); stdout.Flush(); } } : null,
        };
        // Stdin is read on a thread of its own, so that "stop" reaches a worker while it runs. Not a
        // thread-pool thread: blocked in ReadLine for the child's whole life, it would take one of the
        // pool's few threads (as many as cores) from the worker, whose loops then queue behind it.
        var commands = System.Threading.Channels.Channel.CreateUnbounded<string?>();
        new Thread(() =>
        {
            while (Console.In.ReadLine() is { } line) commands.Writer.TryWrite(line);
            commands.Writer.TryWrite(null);
        }) { IsBackground = true, Name = "bench child stdin" }.Start();
        while (await commands.Reader.ReadAsync().ConfigureAwait(false) is { } command)
        {
            var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words is not ["go" or "open", ..]) continue;
            var held = words[0] == "open";
            var drain = words.Length > 3 && words[3] == "drain";
            var runDb = words.Length > 1 ? words[1] : db;
            var runId = words.Length > 2 ? words[2] : null;
            if (runDb is null) { Console.Error.WriteLine($"child worker: \"{words[0]}\" without a database, and no --db"); return 2; }
            using var stop = new CancellationTokenSource();
            using var release = new ManualResetEventSlim(!held);
            var worker = new Worker(runDb, new WorkerOptions { Slots = slots, WorkerId = runId, Drain = drain }, executor);
            long completed = 0, lastCompleted = 0;
            worker.EventRaised += e =>
            {
                if (e.Kind != WorkerEventKind.Completed) return;
                Interlocked.Increment(ref completed);
                Volatile.Write(ref lastCompleted, Stopwatch.GetTimestamp());
            };
            // Events are raised on the worker's own thread: waiting in the Started handler holds the
            // worker after it registered, before it recovers leases or claims anything.
            if (held)
                worker.EventRaised += e =>
                {
                    if (e.Kind != WorkerEventKind.Started) return;
                    lock (gate) { stdout.WriteLine("registered"); stdout.Flush(); }
                    release.Wait();
                };
            var run = Task.Run(() => worker.RunAsync(stop.Token));
            var next = held ? await commands.Reader.ReadAsync().ConfigureAwait(false) : "release";
            release.Set(); // "release", or anything else (a stop) before it: the worker must not stay held
            if (next == "release")
            {
                // Draining, the worker stops by itself: commands wait (a "stop" sent meanwhile is read after, and ignored).
                if (drain) await run.ConfigureAwait(false);
                else next = await commands.Reader.ReadAsync().ConfigureAwait(false);
            }
            stop.Cancel();
            await run.ConfigureAwait(false);
            if (next is null) return 0;
            lock (gate) { stdout.WriteLine($"stopped {Interlocked.Read(ref completed)} {Volatile.Read(ref lastCompleted)}"); stdout.Flush(); }
        }
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
