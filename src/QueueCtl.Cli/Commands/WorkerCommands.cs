using System.CommandLine;
using System.Diagnostics;
using QueueCtl.Cli.Hosting;
using QueueCtl.Cli.Input;
using QueueCtl.Cli.Output;
using QueueCtl.Core;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Storage;
using QueueCtl.Core.Workers;

namespace QueueCtl.Cli.Commands;

/// <summary>
/// queuectl worker start|stop|list|run, and the classic top-level spellings start and stop.
/// A worker is Core's <see cref="Worker"/>; this file only hosts it: processes, signals, logs.
/// </summary>
internal static class WorkerCommands
{
    private const int MaxCount = 64;
    private static readonly TimeSpan RegistrationTimeout = TimeSpan.FromSeconds(60);
    /// <summary>How long `stop --wait` waits for a stopped worker's process to exit.</summary>
    private static readonly TimeSpan ProcessExitGrace = TimeSpan.FromSeconds(5);
    private static readonly object ConsoleGate = new();

    public static Command Build()
    {
        var worker = new Command("worker", "Start, stop, list and run workers.");
        worker.Add(Start("start"));
        worker.Add(Stop("stop"));
        worker.Add(List());
        worker.Add(Run());
        return worker;
    }

    /// <summary>queuectl start --count 3, as the classic tools spell it.</summary>
    public static Command ClassicStart() => Start("start");

    /// <summary>queuectl stop, as the classic tools spell it.</summary>
    public static Command ClassicStop() => Stop("stop");

    private static Option<string?> Concurrency() => new("--concurrency", "-c") { Description = "Jobs each worker process runs at once (1-256, default 1).", HelpName = "N" };
    private static Option<string[]> Queues() => new("--queue", "-q") { Description = "Serve only this queue (repeatable; default: every queue).", HelpName = "QUEUE" };
    private static Option<bool> Once() => new("--once") { Description = "Process what is due, then exit." };

    private static Command Start(string name)
    {
        var count = new Option<string?>("--count", "-n") { Description = $"Worker processes to start (1-{MaxCount}, default 1).", HelpName = "N" };
        var concurrency = Concurrency();
        var queues = Queues();
        var detach = new Option<bool>("--detach", "-d") { Description = "Start background workers and return their ids and pids at once (logs in logs/ beside the database)." };
        var once = Once();
        var start = new Command(name, "Start workers: in the foreground (Ctrl+C stops them gracefully; twice, at once), or detached with --detach.")
        {
            count, concurrency, queues, detach, once, Common.Json,
        };
        start.SetHandler(async parse =>
        {
            var processes = Common.Integer(parse.GetValue(count), "--count", 1, MaxCount) ?? 1;
            var options = new WorkerOptions
            {
                Slots = Common.Integer(parse.GetValue(concurrency), "--concurrency", int.MinValue, int.MaxValue) ?? 1,
                Queues = (parse.GetValue(queues) ?? []).SelectMany(JobCommands.SplitCommas).Distinct().ToList(),
                Drain = parse.GetValue(once),
            };
            _ = new Worker(DatabaseLocation.Resolve(parse.GetValue(Common.Db)), options); // checks the options before any process starts
            string database;
            using (var queue = Common.OpenQueue(parse))                                    // and the database (version, writable)
            {
                if (parse.GetValue(detach)) return StartDetached(queue, options, processes, parse.GetValue(Common.Json));
                database = queue.DatabasePath;
            }
            return await RunForeground(database, options, processes).ConfigureAwait(false);
        });
        return start;
    }

    private static int StartDetached(JobQueue queue, WorkerOptions options, int count, bool json)
    {
        var logs = Path.Combine(Path.GetDirectoryName(queue.DatabasePath)!, "logs");
        Directory.CreateDirectory(logs);
        var started = new List<(ChildWorker Child, int Pid)>();
        for (var i = 0; i < count; i++)
        {
            var id = Worker.NewWorkerId();
            var child = new ChildWorker(id, queue.DatabasePath, options, Path.Combine(logs, id + ".log"));
            started.Add((child, WorkerLauncher.StartDetached(child)));
        }

        // Return only once each has registered, so that "started" means running, and an early
        // failure (a bad database, a crash) is reported here instead of going unnoticed.
        var registered = new Dictionary<string, QueueWorker>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        while (registered.Count < started.Count)
        {
            foreach (var w in queue.ListWorkers(includeStopped: true))
                if (started.Any(s => s.Child.Id == w.Id)) registered[w.Id] = w;
            var failed = started.FirstOrDefault(s => !registered.ContainsKey(s.Child.Id) && !WorkerLauncher.IsRunning(s.Pid));
            if (failed.Child is not null || clock.Elapsed > RegistrationTimeout)
            {
                var (child, pid) = failed.Child is not null ? failed : started.First(s => !registered.ContainsKey(s.Child.Id));
                if (registered.Count > 0) queue.StopWorkers(registered.Keys.ToList());
                foreach (var s in started.Where(s => !registered.ContainsKey(s.Child.Id))) WorkerLauncher.Terminate(s.Pid);
                var what = failed.Child is not null ? "exited before it registered" : $"did not register within {RegistrationTimeout.TotalSeconds:0} s";
                throw new QueueException(QueueErrorKind.Worker, "WorkerStartFailed",
                    $"Worker {child.Id} (pid {pid}) {what}; the others were asked to stop. Its log {child.LogPath} ends with:{Environment.NewLine}{LogTail(child.LogPath)}", child.Id);
            }
            if (registered.Count < started.Count) Thread.Sleep(100);
        }

        var rows = started.Select(s => (s.Child, Worker: registered[s.Child.Id])).ToList();
        if (json) JsonOutput.Write(rows.Select(r => new StartedWorkerJson(r.Child.Id, r.Worker.ProcessId, r.Child.LogPath)).ToList());
        else
        {
            var table = new Table("WORKER", ">PID", "LOG");
            foreach (var r in rows) table.Add(r.Child.Id, r.Worker.ProcessId, r.Child.LogPath);
            table.Write(Console.Out);
            Console.WriteLine($"{rows.Count} worker(s) started in the background. Stop them with: queuectl worker stop{(queue.DatabasePath == DatabaseLocation.Resolve() ? "" : $" --db {queue.DatabasePath}")}");
        }
        return 0;
    }

    private static string LogTail(string? path, int lines = 20)
    {
        try
        {
            var text = path is null || !File.Exists(path) ? "" : File.ReadAllText(path).TrimEnd();
            return text.Length == 0 ? "  (the log is empty)" : string.Join(Environment.NewLine, text.Split('\n').TakeLast(lines).Select(l => "  " + l.TrimEnd('\r')));
        }
        catch (IOException e) { return $"  (the log could not be read: {e.Message})"; }
    }

    /// <summary>
    /// Runs <paramref name="count"/> workers in the foreground: this process runs one, and starts
    /// count - 1 child `queuectl worker run` processes whose output is relayed here. A signal is
    /// passed on to the children, so the first stops everything gracefully, the second at once.
    /// </summary>
    private static async Task<int> RunForeground(string database, WorkerOptions options, int count)
    {
        using var signals = new StopSignals();
        var children = new List<(ChildWorker Child, Process Process)>();
        signals.Received += _ =>
        {
            foreach (var (_, process) in children)
                if (!WorkerLauncher.Terminate(process.Id))
                    TryAskToStop(database, children.Select(c => c.Child.Id).ToList(), signals.Immediate.IsCancellationRequested);
        };
        var exit = 0;
        try
        {
            for (var i = 1; i < count; i++)
            {
                var child = new ChildWorker(Worker.NewWorkerId(), database, options, null);
                // Several workers share this terminal: each line says whose it is.
                children.Add((child, WorkerLauncher.StartAttached(child, (line, error) => Relay($"[{child.Id}] {line}", error))));
            }
            var worker = new Worker(database, options);
            worker.EventRaised += e => Relay(count > 1 ? $"[{worker.Id}] {e}" : e.ToString(), false);
            await worker.RunAsync(signals.Graceful.Token, signals.Immediate.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            exit = Common.Fail(e);
            // Our own worker failed: the children must not be left running unattended.
            foreach (var (_, process) in children) WorkerLauncher.Terminate(process.Id);
        }
        foreach (var (child, process) in children)
        {
            await process.WaitForExitAsync().ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                Common.Error($"worker {child.Id} (pid {process.Id}) exited with code {process.ExitCode}.");
                if (exit == 0) exit = QueueErrorKind.Worker.ExitCode();
            }
            process.Dispose();
        }
        return exit;
    }

    private static void TryAskToStop(string database, IReadOnlyList<string> ids, bool immediate)
    {
        try
        {
            using var queue = JobQueue.Open(database);
            queue.StopWorkers(ids, immediate);
        }
        catch (QueueException e) { Common.Error(e.Message); }
    }

    private static void Relay(string line, bool error)
    {
        lock (ConsoleGate) (error ? Console.Error : Console.Out).WriteLine(line);
    }

    private static Command Stop(string name)
    {
        var ids = new Argument<string[]>("id") { Description = "Workers to stop (default: every live worker).", Arity = ArgumentArity.ZeroOrMore };
        var force = new Option<bool>("--force") { Description = "Stop at once: end running jobs and hand them back (not charged)." };
        var wait = new Option<bool>("--wait") { Description = "Wait until the workers have stopped (on this host: until their processes have exited)." };
        var timeout = new Option<string?>("--timeout") { Description = "With --wait: give up after this many seconds (default 120; exit code 8).", HelpName = "SECONDS" };
        var stop = new Command(name, "Ask workers to stop: gracefully (running jobs may finish within shutdown_grace), or at once with --force.")
        {
            ids, force, wait, timeout, Common.Json,
        };
        stop.SetHandler(async parse =>
        {
            var named = (parse.GetValue(ids) ?? []).Distinct().ToList();
            var limit = Common.Integer(parse.GetValue(timeout), "--timeout", 1, 86400) ?? 120;
            using var queue = Common.OpenQueue(parse);
            if (named.Count > 0)
            {
                var known = queue.ListWorkers(includeStopped: true).ToDictionary(w => w.Id, StringComparer.Ordinal);
                foreach (var id in named)
                    if (!known.ContainsKey(id))
                        throw new QueueException(QueueErrorKind.NotFound, "WorkerNotFound", $"There is no worker with id {InputError.Quote(id)}. List them with 'queuectl worker list --all'.", id);
            }
            var force_ = parse.GetValue(force);
            var asked = queue.StopWorkers(named.Count > 0 ? named : null, force_);
            if (parse.GetValue(Common.Json)) JsonOutput.Write(new StopWorkersJson(asked, force_));
            else if (asked.Count == 0) Console.WriteLine(named.Count > 0 ? "Those workers have already stopped." : "No workers are running.");
            else foreach (var id in asked) Console.WriteLine($"asked {id} to stop{(force_ ? " now" : " gracefully")}");

            if (!parse.GetValue(wait) || asked.Count == 0) return 0;
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var running = queue.ListWorkers(includeStopped: true)
                    .Where(w => asked.Contains(w.Id) && w.State is WorkerState.Running or WorkerState.Stopping).Select(w => w.Id).ToList();
                if (running.Count == 0) break;
                if (clock.Elapsed.TotalSeconds > limit)
                    throw new QueueException(QueueErrorKind.Timeout, "StopTimedOut",
                        $"{running.Count} worker(s) had not stopped after {limit} s: {string.Join(", ", running)}. They may still be finishing jobs (shutdown_grace); 'queuectl worker stop --force' ends them at once.", running);
                await Task.Delay(200).ConfigureAwait(false);
            }
            // A worker records "stopped" just before its process exits: on this host, wait for the
            // processes too, so that none is left once this returns. Bounded, as a pid may have
            // been reused by another program in the meantime.
            var local = queue.ListWorkers(includeStopped: true)
                .Where(w => asked.Contains(w.Id) && string.Equals(w.Host, Worker.Host, StringComparison.OrdinalIgnoreCase))
                .Select(w => w.ProcessId).ToList();
            var exiting = Stopwatch.StartNew();
            while (local.Any(WorkerLauncher.IsRunning) && exiting.Elapsed < ProcessExitGrace)
                await Task.Delay(20).ConfigureAwait(false);
            if (!parse.GetValue(Common.Json)) Console.WriteLine($"{asked.Count} worker(s) stopped.");
            return 0;
        });
        return stop;
    }

    private static Command List()
    {
        var all = new Option<bool>("--all", "-a") { Description = "Include stopped and lost workers." };
        var list = new Command("list", "List workers: state, pid, host, queues, busy slots, jobs done, heartbeat.") { all, Common.Json };
        list.Aliases.Add("ls");
        list.SetHandler(parse =>
        {
            using var queue = Common.OpenQueue(parse);
            var workers = queue.ListWorkers(parse.GetValue(all));
            if (parse.GetValue(Common.Json)) { JsonOutput.Write(workers.Select(JsonOutput.Worker).ToList()); return 0; }
            if (workers.Count == 0) { Console.WriteLine(parse.GetValue(all) ? "No workers have run on this queue." : "No workers are running."); return 0; }
            var table = new Table("ID", "STATE", ">PID", "HOST", "QUEUES", ">BUSY", ">DONE", "STARTED", "HEARTBEAT");
            foreach (var w in workers)
                table.Add(w.Id, w.State.ToString().ToLowerInvariant(), w.ProcessId, w.Host, w.QueueList, $"{w.Running}/{w.Slots}", w.JobsDone,
                    Text.Time(w.StartedAt), Text.Time(w.HeartbeatAt));
            table.Write(Console.Out);
            return 0;
        });
        return list;
    }

    /// <summary>
    /// queuectl worker run: one worker in this process, its events on standard output (and in
    /// --log). The entry point of child and detached workers; flags kept stable for them.
    /// </summary>
    private static Command Run()
    {
        var concurrency = Concurrency();
        var queues = Queues();
        var workerId = new Option<string?>("--worker-id") { Description = "The worker's id (given by launchers so they can find it).", HelpName = "ID" };
        var once = Once();
        var log = new Option<string?>("--log") { Description = "Also append every event to this file.", HelpName = "PATH" };
        var run = new Command("run", "Run one worker in this process until stopped (the entry point of started workers).")
        {
            concurrency, queues, workerId, once, log,
        };
        run.SetHandler(async parse =>
        {
            var options = new WorkerOptions
            {
                Slots = Common.Integer(parse.GetValue(concurrency), "--concurrency", int.MinValue, int.MaxValue) ?? 1,
                Queues = (parse.GetValue(queues) ?? []).SelectMany(JobCommands.SplitCommas).Distinct().ToList(),
                WorkerId = parse.GetValue(workerId),
                Drain = parse.GetValue(once),
                LogPath = parse.GetValue(log) is { } path ? Path.GetFullPath(path) : null,
            };
            var worker = new Worker(DatabaseLocation.Resolve(parse.GetValue(Common.Db)), options);
            using var signals = new StopSignals();
            worker.EventRaised += e => Relay(e.ToString(), false);
            await worker.RunAsync(signals.Graceful.Token, signals.Immediate.Token).ConfigureAwait(false);
            return 0;
        });
        return run;
    }
}
