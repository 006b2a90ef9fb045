using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using QueueCtl.Core;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Storage;
using QueueCtl.Core.Workers;

namespace QueueCtl.Bench;

/// <summary>Claim + complete, shell jobs, pickup latency, idle CPU and memory.</summary>
internal static class WorkerBench
{
    public static TimeSpan Patience { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Queues <paramref name="count"/> jobs through Core's batch path (100,000 to a transaction).</summary>
    public static void Fill(string db, int count, string command = "true")
    {
        using var queue = JobQueue.Open(db);
        for (var done = 0; done < count;)
        {
            var n = Math.Min(100_000, count - done);
            queue.EnqueueMany(Enumerable.Range(0, n).Select(_ => new JobSpec { Command = command }).ToList());
            done += n;
        }
        // Start every timed run from a checkpointed file, as a queue filled a while ago would be:
        // otherwise the first run reads through a WAL of the whole fill, which shallow fills never have.
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Pooling = false }.ToString());
        connection.Open();
        using var checkpoint = connection.CreateCommand();
        checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        checkpoint.ExecuteNonQuery();
    }

    /// <summary>Deletes every job and attempt (between runs that must each start from the same backlog).</summary>
    public static void Clear(string db)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Pooling = false }.ToString());
        connection.Open();
        using var delete = connection.CreateCommand();
        delete.CommandText = "DELETE FROM attempts; DELETE FROM jobs; DELETE FROM jobs_inbox;";
        delete.ExecuteNonQuery();
    }

    /// <summary>
    /// Claim + complete through Core's store alone, on one thread and without a worker: claim
    /// <paramref name="batch"/> jobs, record them all as succeeded, repeat. What the SQL of the two
    /// transactions costs; a worker adds its threads, channels and events on top of it.
    /// </summary>
    public static double StoreAlone(string db, int jobs, int batch)
    {
        Fill(db, jobs);
        using var store = SqliteQueueStore.Open(db);
        var config = store.GetConfig();
        var success = AttemptResult.Success();
        var done = 0;
        var clock = Stopwatch.StartNew();
        while (store.Claim("bench-store", [], batch, config) is { Count: > 0 } claimed)
        {
            store.Finish("bench-store", claimed.Select(job => (job, success)).ToList(), config);
            done += claimed.Count;
        }
        var seconds = clock.Elapsed.TotalSeconds;
        if (done != jobs) throw new InvalidOperationException($"the store claimed {done} of {jobs} jobs");
        Clear(db);
        return done / seconds;
    }

    /// <summary>
    /// Shell jobs of <paramref name="command"/> run by ShellExecutor alone, <paramref name="parallel"/>
    /// at a time, without a queue or a worker: how fast QueueCtl starts, watches and reaps a job's process.
    /// </summary>
    public static double ExecutorAlone(int parallel, TimeSpan duration, string command)
    {
        long n = 0;
        var clock = Stopwatch.StartNew();
        var context = new QueueCtl.Core.Workers.ExecutionContext();
        var loops = Enumerable.Range(0, parallel).Select(i => Task.Run(async () =>
        {
            var job = new ClaimedJob($"bench-exec-{i}", 1, 1, command, JobShell.Sh, "default", 0, 0, 0, null,
                new Dictionary<string, string>(), DateTimeOffset.UtcNow);
            while (clock.Elapsed < duration)
            {
                var result = await ShellExecutor.Instance.ExecuteAsync(job, context, CancellationToken.None).ConfigureAwait(false);
                if (result.Outcome != AttemptOutcome.Succeeded) throw new InvalidOperationException($"`{command}` did not succeed: {result.Error}");
                Interlocked.Increment(ref n);
            }
        })).ToArray();
        Task.WaitAll(loops);
        return Interlocked.Read(ref n) / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// One worker in this process with the no-op executor: jobs/s over the first
    /// <paramref name="measured"/> completions, timed from the worker's Started event
    /// (registered, about to recover and claim) to the last of them.
    /// </summary>
    public static async Task<double> InProcessAsync(string db, int slots, int measured, StoreOptions? store = null, IJobExecutor? executor = null)
    {
        long completed = 0, started = 0, ended = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var worker = new Worker(db, new WorkerOptions { Slots = slots, Store = store ?? StoreOptions.Default }, executor ?? new NoopExecutor());
        worker.EventRaised += e =>
        {
            if (e.Kind == WorkerEventKind.Started) Volatile.Write(ref started, Stopwatch.GetTimestamp());
            else if (e.Kind == WorkerEventKind.Completed && Interlocked.Increment(ref completed) == measured)
            {
                Volatile.Write(ref ended, Stopwatch.GetTimestamp());
                done.TrySetResult();
            }
        };
        var run = worker.RunAsync(stop.Token);
        await Task.WhenAny(done.Task, run, Task.Delay(Patience)).ConfigureAwait(false);
        var now = Stopwatch.GetTimestamp();
        stop.Cancel();
        await run.ConfigureAwait(false);
        if (done.Task.IsCompleted) return measured / Stopwatch.GetElapsedTime(started, ended).TotalSeconds;
        // Too slow to finish within patience: report the rate of what did finish, and say so.
        var finished = Interlocked.Read(ref completed);
        Console.Error.WriteLine($"  warning: only {finished} of {measured} jobs completed within {Patience.TotalSeconds:0} s; reporting their rate");
        if (finished == 0) throw new InvalidOperationException($"no job completed within {Patience.TotalSeconds:0} s");
        return finished / Stopwatch.GetElapsedTime(started, now).TotalSeconds;
    }

    /// <summary>
    /// Enqueue → start latency into an idle queue: one bench child worker (1 slot, no-op executor)
    /// waits; this process enqueues one job at a time through JobQueue.Enqueue (which wakes workers),
    /// lets the worker go idle again for 5–15 ms, and repeats. Returns every latency in ms.
    /// </summary>
    public static async Task<List<double>> PickupAsync(string db, int samples)
    {
        using var child = new Child(Paths.ChildWorkerStartInfo(["--db", db, "--slots", "1", "--report-starts"]));
        var starts = new ConcurrentDictionary<string, TaskCompletionSource<long>>();
        TaskCompletionSource<long> Slot(string id) => starts.GetOrAdd(id, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
        child.OnStart = (id, ticks) => Slot(id).TrySetResult(ticks);
        await child.Ready.WaitAsync(TimeSpan.FromMinutes(1)).ConfigureAwait(false);
        child.Send("go");
        using var queue = JobQueue.Open(db);
        // The enqueuer's own first call pays for JIT and for reading the worker list: not a pickup.
        // That list may predate the worker's registration ("go" and this call race); until it is
        // read again the worker finds jobs by its start-up poll (every 50 ms), which is not the
        // steady state measured here, so let the list age out first.
        queue.Enqueue(new JobSpec { Id = "pickup-warm", Command = "true" });
        await Slot("pickup-warm").Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        await Task.Delay(WakeSignal.PortListMaxAge + TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
        var latencies = new List<double>(samples);
        var random = new Random(5);
        for (var i = 0; i < samples; i++)
        {
            await Task.Delay(5 + random.Next(11)).ConfigureAwait(false);
            var id = $"pickup-{i}";
            var before = Stopwatch.GetTimestamp();
            queue.Enqueue(new JobSpec { Id = id, Command = "true" });
            var at = await Slot(id).Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            latencies.Add(Stopwatch.GetElapsedTime(before, at).TotalMilliseconds);
        }
        child.CloseInput();
        await child.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        return latencies;
    }

    /// <summary>
    /// Shell jobs of <paramref name="command"/> through a real `queuectl worker run --once` process:
    /// jobs/s from the first claim to the last finish as recorded in the queue; also the worker's
    /// peak RSS (MiB).
    /// </summary>
    public static async Task<(double Rate, double PeakRssMiB)> ShellAsync(string db, int concurrency, int jobs, string command)
    {
        var exe = Paths.Queuectl() ?? throw new InvalidOperationException("queuectl is not built");
        Fill(db, jobs, command);
        // While the worker runs, the bench does nothing on the 2 cores the worker and its jobs share:
        // its event lines go to /dev/null (exec keeps the worker's pid), and it drains the queue and
        // exits (--once) instead of being polled. A poll of the queue from here every 20 ms cost
        // the worker ~10% of its rate at concurrency 1.
        var run = Paths.StartInfo(("/bin/sh", ["-c", "exec \"$@\" > /dev/null", "sh", exe.File, .. exe.Prefix]),
            ["worker", "run", "--db", db, "--concurrency", concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture), "--once"]);
        using var child = new Child(run);
        var peak = PeakMemoryWhileRunning(child);
        if (!await child.WaitAsync(Patience).ConfigureAwait(false))
            throw new InvalidOperationException("the shell jobs did not finish in time");
        using var watch = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Pooling = false }.ToString());
        watch.Open();
        using var span = watch.CreateCommand();
        span.CommandText = "SELECT count(*), min(started_at), max(finished_at), sum(state = 'completed') FROM jobs";
        using var r = span.ExecuteReader();
        r.Read();
        if (r.GetInt64(3) != jobs) throw new InvalidOperationException($"only {r.GetInt64(3)} of {jobs} shell jobs completed: {child.Stderr}");
        var ms = Math.Max(1, r.GetInt64(2) - r.GetInt64(1));
        return (jobs * 1000.0 / ms, await peak.ConfigureAwait(false));
    }

    /// <summary>
    /// The child's peak RSS (VmHWM, MiB), read every 100 ms on a thread of its own (no thread-pool
    /// wake-ups beside the worker) until the child has exited: the last read before its exit.
    /// </summary>
    private static Task<double> PeakMemoryWhileRunning(Child child)
    {
        var peak = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            var highest = 0.0;
            try
            {
                while (!child.HasExited)
                {
                    // A zombie has no VmHWM (NaN: never higher); a reaped child's file is gone.
                    try { if (child.MemoryMiB("VmHWM") is var read && read > highest) highest = read; }
                    catch (IOException) { }
                    Thread.Sleep(100);
                }
            }
            catch (InvalidOperationException)
            {
                // The run failed and disposed of the child: nothing more to read.
            }
            peak.TrySetResult(highest > 0 ? highest : double.NaN);
        }) { IsBackground = true, Name = "bench peak RSS" }.Start();
        return peak.Task;
    }

    /// <summary>CPU used by an idle `queuectl worker run` (4 slots) over <paramref name="duration"/>, as % of one core; and its RSS (MiB).</summary>
    public static async Task<(double CpuPercent, double RssMiB)> IdleAsync(string db, TimeSpan duration)
    {
        var exe = Paths.Queuectl() ?? throw new InvalidOperationException("queuectl is not built");
        using var child = new Child(Paths.StartInfo(exe, ["worker", "run", "--db", db, "--concurrency", "4"]));
        await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false); // start-up and JIT are not idling
        var before = child.CpuTime();
        var clock = Stopwatch.StartNew();
        await Task.Delay(duration).ConfigureAwait(false);
        var used = child.CpuTime() - before;
        var seconds = clock.Elapsed.TotalSeconds;
        var rss = child.MemoryMiB();
        child.Terminate();
        await child.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        return (used.TotalSeconds / seconds * 100, rss);
    }
}
