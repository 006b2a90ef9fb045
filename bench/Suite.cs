using System.Globalization;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Processes;
using QueueCtl.Core.Storage;
using QueueCtl.Core.Workers;

namespace QueueCtl.Bench;

/// <summary>Every figure of issue 5, in order, each the median of several runs.</summary>
internal static class Suite
{
    private static readonly Unit Ratio = new("x", false, 2);

    public static async Task<List<Row>> RunAsync(BenchOptions o, Scratch scratch)
    {
        var rows = new List<Row>();
        var runs = o.Runs;
        string Size(int n) => n >= 1_000_000 && n % 1_000_000 == 0 ? $"{n / 1_000_000}M" : n >= 1000 && n % 1000 == 0 ? $"{n / 1000}k" : n.ToString(CultureInfo.InvariantCulture);
        void Say(string what) => Console.Error.WriteLine($"  {DateTime.UtcNow:HH:mm:ss} {what}");

        async Task<Sample?> Try(Row template, Func<Task<Sample>> measure, Action<Row> add)
        {
            Say(template.Figure);
            try
            {
                var s = await measure().ConfigureAwait(false);
                add(template with { Value = s });
                return s;
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException or Microsoft.Data.Sqlite.SqliteException or QueueCtl.Core.Errors.QueueException or System.ComponentModel.Win32Exception)
            {
                add(template with { Missing = $"failed: {e.Message}" });
                return null;
            }
        }
        Task<Sample?> Add(Row template, Func<Task<Sample>> measure) => Try(template, measure, rows.Add);
        Task<Sample?> AddSync(Row template, Func<Sample> measure) => Try(template, () => Task.FromResult(measure()), rows.Add);
        // A figure whose ratio comes from runs paired with its limit (Sample.MeasurePairedAsync).
        // With limitName, the limit has no row of its own: the paired limit runs become the row's limit.
        Task<Sample?> AddPaired(Row template, Func<double> limit, Func<Task<double>> run, string? limitName = null)
        {
            var ratios = new List<double>();
            var limits = new List<double>();
            return Try(template, () => Sample.MeasurePairedAsync(runs, () => { var l = limit(); limits.Add(l); return l; }, run, ratios),
                row => rows.Add(row.Value is null || ratios.Count == 0 ? row : row with
                {
                    PairedRatio = Sample.Of(ratios),
                    Limit = limitName is null ? row.Limit : new Limit(limitName, Sample.Of(limits), row.Unit),
                }));
        }
        const string PairedNote = "ratio: each run paired with a run of its limit (/bin/true through Process, same parallelism) just before it; median [min–max] of the pairs' ratios. The limit rows were measured minutes earlier, on a machine whose speed drifts";

        // Rows that start queuectl run it as users install it (install.sh: native code by default).
        if (o.Wants("cli") || o.Wants("enqueue") || o.Wants("shell") || o.Wants("idle"))
        {
            Say("installing queuectl with install.sh");
            Paths.Install(scratch);
            Say($"queuectl: {Paths.InstallSummary}");
        }

        // 1. Limits.
        Limit? commitNormal = null, commitFull = null, batchRows = null, proc1 = null, proc4 = null, floor = null;
        if (o.Wants("limits") || o.Wants("enqueue") || o.Wants("cli") || o.Wants("claim") || o.Wants("shell"))
        {
            const string g = "limits (the machine, same SQLite build and pragmas)";
            var d = o.LimitDuration;
            if (await AddSync(new Row(g, "single-row commits, WAL, synchronous NORMAL", Unit.PerSecond), () => Sample.Measure(runs, () => Limits.SingleRowCommits(scratch, Durability.Normal, d))) is { } a)
                commitNormal = new Limit("commits NORMAL", a, Unit.PerSecond);
            if (await AddSync(new Row(g, "single-row commits, WAL, synchronous FULL", Unit.PerSecond), () => Sample.Measure(runs, () => Limits.SingleRowCommits(scratch, Durability.Full, d))) is { } b)
                commitFull = new Limit("commits FULL", b, Unit.PerSecond);
            if (await AddSync(new Row(g, "rows inserted in 1,000-row transactions", Unit.PerSecond), () => Sample.Measure(runs, () => Limits.BatchedRows(scratch, d))) is { } c)
                batchRows = new Limit("batched rows", c, Unit.PerSecond);
            if (await AddSync(new Row(g, "/bin/true processes started+reaped, 1 at a time", Unit.PerSecond), () => Sample.Measure(runs, () => Limits.ProcessRate(1, d))) is { } p1)
                proc1 = new Limit("/bin/true x1", p1, Unit.PerSecond);
            if (await AddSync(new Row(g, "/bin/true processes started+reaped, 4 in parallel", Unit.PerSecond), () => Sample.Measure(runs, () => Limits.ProcessRate(4, d))) is { } p4)
                proc4 = new Limit("/bin/true x4", p4, Unit.PerSecond);
            // A plain command such as `true` starts its program without sh (PlainCommand); a line
            // that needs a shell, such as `true;`, starts sh, which is a bigger program to start.
            foreach (var (command, what) in new[] { ("true", "runs /bin/true itself"), ("true;", "needs sh") })
            {
                await AddPaired(new Row(g, $"  `{command}` jobs ({what}) through ShellExecutor alone, 1 at a time", Unit.PerSecond) { Limit = proc1, Note = "no queue, no worker: a job's process started (posix_spawn in a session of its own, on Linux), watched and reaped; the issue's limit stays /bin/true through Process. " + PairedNote },
                    () => Limits.ProcessRate(1, d), () => Task.FromResult(WorkerBench.ExecutorAlone(1, d, command)));
                await AddPaired(new Row(g, $"  `{command}` jobs ({what}) through ShellExecutor alone, 4 in parallel", Unit.PerSecond) { Limit = proc4 },
                    () => Limits.ProcessRate(4, d), () => Task.FromResult(WorkerBench.ExecutorAlone(4, d, command)));
            }
            foreach (var argv in new[] { new[] { "/bin/true" }, ["/bin/sh", "-c", "true"] })
            {
                var name = string.Join(' ', argv);
                if (PosixSpawn.Supported) await AddPaired(new Row(g, $"  posix_spawn of {name} alone, 1 at a time", Unit.PerSecond) { Limit = proc1, Note = "the floor of a job: its program started in a session of its own, output to a pipe, reaped, with no QueueCtl code around it" },
                    () => Limits.ProcessRate(1, d), () => Task.FromResult(Limits.SpawnRate(1, d, argv)));
                if (PosixSpawn.Supported) await AddPaired(new Row(g, $"  posix_spawn of {name} alone, 4 in parallel", Unit.PerSecond) { Limit = proc4 },
                    () => Limits.ProcessRate(4, d), () => Task.FromResult(Limits.SpawnRate(4, d, argv)));
            }
            await AddSync(new Row(g, "  jobs-table rows, raw SQL, 1 per transaction", Unit.PerSecond) { Limit = commitNormal, Note = "plain INSERTs into QueueCtl's jobs table (unique id + the partial indexes a pending job is in): the schema's own cost, before any Core code" },
                () => Sample.Measure(runs, () => Limits.JobsTableRows(scratch, d, 1)));
            await AddSync(new Row(g, "  jobs-table rows, raw SQL, 1,000 per transaction", Unit.PerSecond) { Limit = batchRows, Note = $"the same INSERTs, {SqliteQueueStore.InsertGroup} rows to a statement as Core writes a batch: the schema's own cost for a batch" },
                () => Sample.Measure(runs, () => Limits.JobsTableRows(scratch, d, 1000)));
            await AddSync(new Row(g, $"  jobs-table rows, raw SQL, {Size(o.BatchJobs)} in 1 transaction", Unit.PerSecond) { Limit = batchRows, Note = "the work of one EnqueueMany call of as many jobs, in plain SQL: a new database, the same INSERTs, one commit (with the checkpoint it sets off)" },
                () => Sample.Measure(runs, () => Limits.JobsTableRows(scratch, TimeSpan.Zero, o.BatchJobs)));
            await AddSync(new Row(g, "  the jobs table's columns with no index, raw SQL, 1 per transaction", Unit.PerSecond) { Limit = commitNormal, Note = "the same INSERTs into a copy of the jobs table without its indexes (not even the unique id): what the row alone costs a commit" },
                () => Sample.Measure(runs, () => Limits.JobsTableRows(scratch, d, 1, JobsTableShape.TableAlone)));
            await AddSync(new Row(g, "  the same with only a unique id index, raw SQL, 1 per transaction", Unit.PerSecond) { Limit = commitNormal, Note = "the least a queue that finds jobs by their id keeps: each B-tree a commit changes is one more page written to the WAL" },
                () => Sample.Measure(runs, () => Limits.JobsTableRows(scratch, d, 1, JobsTableShape.TableAndUniqueId)));
            if (await AddSync(new Row(g, ".NET process floor (bench exe --noop, wall)", Unit.Ms) { Note = "the runtime's own start-up: the floor for a queuectl that runs on the .NET runtime; a native queuectl (install.sh's default) does not pay it" }, () => Sample.Measure(runs, EnqueueBench.DotnetFloor)) is { } f)
                floor = new Limit(".NET floor", f, Unit.Ms);
        }

        // 2. Enqueue.
        if (o.Wants("enqueue"))
        {
            const string g = "enqueue";
            var d = o.LimitDuration;
            // Paired as the shell rows are: the commit limit moved by 20-30% between runs minutes apart.
            await AddPaired(new Row(g, "Core JobQueue.Enqueue, 1 job per transaction", Unit.PerSecond)
                { Limit = commitNormal, Target = ">= 80% of commit limit", Met = (_, r) => r >= 0.8,
                  Note = "ratio: each run paired with a run of single-row commits (NORMAL) just before it; median [min–max] of the pairs' ratios" },
                () => Limits.SingleRowCommits(scratch, Durability.Normal, d), () => Task.FromResult(EnqueueBench.Single(scratch, d)));
            await AddPaired(new Row(g, "  same, with durability FULL", Unit.PerSecond)
                { Limit = commitFull, Target = "(durability choice)", Note = "StoreOptions.Durability = Full, i.e. QUEUECTL_DURABILITY=full; paired with single-row commits (FULL)" },
                () => Limits.SingleRowCommits(scratch, Durability.Full, d), () => Task.FromResult(EnqueueBench.Single(scratch, d, new StoreOptions { Durability = Durability.Full })));
            await AddSync(new Row(g, $"Core JobQueue.EnqueueMany, {Size(o.BatchJobs)} jobs in 1 call", Unit.PerSecond)
                { Limit = batchRows, Target = ">= 300,000/s", Met = (s, _) => s.Median >= 300_000 },
                () => Sample.Measure(runs, () => EnqueueBench.Batched(scratch, o.BatchJobs, o.BatchJobs)));
            await AddSync(new Row(g, $"cmdlet path: EnqueueMany in chunks of {EnqueueBench.CmdletChunk:N0}, {Size(o.BatchJobs)} jobs", Unit.PerSecond)
                { Limit = batchRows, Target = ">= 300,000/s", Met = (s, _) => s.Median >= 300_000 },
                () => Sample.Measure(runs, () => EnqueueBench.Batched(scratch, o.BatchJobs, EnqueueBench.CmdletChunk)));
        }
        if (o.Wants("cli") || o.Wants("enqueue"))
        {
            const string g = "enqueue through the queuectl process";
            var fileRow = new Row(g, $"queuectl enqueue --file, {Size(o.BatchJobs)} JSON lines (process wall)", Unit.PerSecond)
                { Limit = batchRows, Target = ">= 300,000/s", Met = (s, _) => s.Median >= 300_000 };
            if (EnqueueBench.CliFileProblem(scratch) is { } fileProblem)
                rows.Add(fileRow with { Missing = $"n/a (not available: {fileProblem})" });
            else
                await AddSync(fileRow, () => Sample.Measure(runs, () => EnqueueBench.CliFile(scratch, o.BatchJobs)));

            var coldRow = new Row(g, "queuectl enqueue \"cmd\", cold (first run)", Unit.Ms) { Limit = floor, Note = "cold = the first enqueue into a new database by the queuectl just installed; the OS file cache is not dropped (that needs root)" };
            var warmRow = new Row(g, "queuectl enqueue \"cmd\", warm", Unit.Ms) { Limit = floor, Target = "< 150 ms", Met = (s, _) => s.Median < 150 };
            if (EnqueueBench.CliSingleProblem(scratch) is { } singleProblem)
            {
                rows.Add(coldRow with { Missing = $"n/a (not available: {singleProblem})" });
                rows.Add(warmRow with { Missing = $"n/a (not available: {singleProblem})" });
            }
            else
            {
                // The probe above already ran the executable once: "cold" is the first enqueue into a new database.
                var db = scratch.NewDatabase("cli-one");
                await AddSync(coldRow, () => Sample.Of([EnqueueBench.CliSingle(db)]));
                await AddSync(warmRow, () => Sample.Measure(o.CliWarmRuns, () => EnqueueBench.CliSingle(db)));
                if (Paths.Installed is not null && Paths.Built() is { } built)
                    await AddSync(new Row(g, "  same, warm, queuectl as dotnet build leaves it (net8.0, no ReadyToRun)", Unit.Ms)
                        { Limit = floor, Note = "what install.sh buys: the rows above run the installed queuectl" },
                        () => Sample.Measure(o.CliWarmRuns, () => EnqueueBench.CliSingle(db, built)));
            }
        }

        // 3. Claim + complete with the no-op executor.
        if (o.Wants("claim"))
        {
            const string g = "claim + complete, no-op executor";
            var target = ">= 50,000/s";
            bool Fifty(Sample s, double? _) => s.Median >= 50_000;
            var shallow = scratch.NewDatabase("claim-shallow");
            using var processes = new ChildWorkerPool(4, 1, scratch.NewDatabase("claim-processes-warm-up"));
            var configs = new (string Label, Func<string, int, Task<double>> Run)[]
            {
                ("1 worker, 1 slot", (db, n) => WorkerBench.InProcessAsync(db, 1, n)),
                ("1 worker, 4 slots", (db, n) => WorkerBench.InProcessAsync(db, 4, n)),
                ("4 worker processes, 1 slot each", (db, n) => processes.RunAsync(db, n)),
            };
            await ChildWorker.WarmUpAsync(4); // the in-process runs should not measure the JIT either
            // A run of 1,000 jobs lasts 15-40 ms, and single runs on this machine differ by 2x: such
            // rows take three times the runs, for a median that moves less from one bench run to the next.
            var shortRuns = runs * 3;
            var shallowResults = new Dictionary<string, Sample?>();
            foreach (var (label, run) in configs)
            {
                shallowResults[label] = await Add(new Row(g, $"{label}, {Size(o.ShallowDepth)} queued", Unit.PerSecond) { Limit = batchRows, Target = target, Met = Fifty },
                    () => Sample.MeasureAsync(shortRuns, async () => { WorkerBench.Fill(shallow, o.ShallowDepth); return await run(shallow, o.ShallowDepth).ConfigureAwait(false); }));
            }
            await Add(new Row(g, $"  4 worker processes, {Size(o.ShallowDepth)} queued, timed from \"go\" (with their start)", Unit.PerSecond)
                {
                    Limit = batchRows,
                    Note = "the row above times the four workers from the moment all have registered, as the in-process rows time theirs from its Started event; this one also times each process opening the file, registering and recovering while the first ones already run",
                },
                () => Sample.MeasureAsync(shortRuns, async () => { WorkerBench.Fill(shallow, o.ShallowDepth); return await processes.RunAsync(shallow, o.ShallowDepth, includeStart: true).ConfigureAwait(false); }));
            // Reference: the same SQL without a worker, in the claim size a busy worker reaches (1 slot + 256 prefetched).
            var storeAlone = scratch.NewDatabase("claim-store");
            await AddSync(new Row(g, $"  store alone, no worker: claim 257 + record them, {Size(o.DeepMeasured)} jobs", Unit.PerSecond) { Limit = batchRows, Note = "Core's SqliteQueueStore.Claim and Finish in a loop on one thread: the SQL's own cost, the ceiling for one worker process" },
                () => Sample.Measure(runs, () => WorkerBench.StoreAlone(storeAlone, o.DeepMeasured, 1 + Worker.MaxPrefetch)));
            Scratch.Delete(storeAlone);
            await Add(new Row(g, $"  1 worker, 4 slots, {Size(o.ShallowDepth)} queued, durability FULL", Unit.PerSecond) { Limit = batchRows, Note = "durability choice: the same run with synchronous FULL" },
                () => Sample.MeasureAsync(shortRuns, async () => { WorkerBench.Fill(shallow, o.ShallowDepth); return await WorkerBench.InProcessAsync(shallow, 4, o.ShallowDepth, new StoreOptions { Durability = Durability.Full }).ConfigureAwait(false); }));

            var deep = scratch.NewDatabase("claim-deep");
            var deepRuns = Math.Min(runs, 3); // each deep run consumes jobs: the queue is filled once for all of them
            Say($"queueing {Size(o.DeepDepth + configs.Length * deepRuns * o.DeepMeasured)} jobs for the deep runs");
            WorkerBench.Fill(deep, o.DeepDepth + configs.Length * deepRuns * o.DeepMeasured);
            // The slowdown compares runs of the same length: the deep run's timed jobs against as many
            // timed jobs with only the shallow backlog behind them (a 1,000-job run is too short to
            // include the WAL checkpoints that any long run pays, whatever the depth). Each deep run
            // follows its same-length run at once and the slowdown is judged on those pairs: runs
            // minutes apart differed by more than the 1.2x being judged (this machine's speed drifts).
            var sameLength = scratch.NewDatabase("claim-same-length");
            foreach (var (label, run) in configs)
            {
                var shallowRates = new List<double>();
                var slowdowns = new List<double>();
                var baseline = new Row(g, $"  {label}, {Size(o.ShallowDepth)} queued behind {Size(o.DeepMeasured)} timed", Unit.PerSecond)
                    { Limit = batchRows, Note = label == configs[0].Label ? "each run just before the deep run it is compared with" : null };
                var s = await Try(new Row(g, $"{label}, {Size(o.DeepDepth)} queued ({Size(o.DeepMeasured)} timed)", Unit.PerSecond) { Limit = batchRows, Target = target, Met = Fifty },
                    () => Sample.MeasureAsync(deepRuns, async () =>
                    {
                        WorkerBench.Fill(sameLength, o.ShallowDepth + o.DeepMeasured);
                        var shallowRate = await run(sameLength, o.DeepMeasured).ConfigureAwait(false);
                        WorkerBench.Clear(sameLength);
                        var deepRate = await run(deep, o.DeepMeasured).ConfigureAwait(false);
                        shallowRates.Add(shallowRate);
                        slowdowns.Add(shallowRate / deepRate);
                        return deepRate;
                    }),
                    row =>
                    {
                        if (shallowRates.Count > 0) rows.Add(baseline with { Value = Sample.Of(shallowRates) });
                        rows.Add(row);
                    });
                if (s is null) continue;
                rows.Add(new Row(g, $"  slowdown at {Size(o.DeepDepth)} vs {Size(o.ShallowDepth)} queued, {Size(o.DeepMeasured)} timed each ({label})", Ratio)
                    { Value = Sample.Of(slowdowns), Target = "<= 1.2x", Met = (v, _) => v.Median <= 1.2,
                      Note = label == configs[0].Label ? "median [min–max] of the pairs' ratios (same-length rate / deep rate)" : null });
            }
            Scratch.Delete(sameLength);
            Scratch.Delete(deep);
        }

        // 4. Shell jobs.
        double? peakRss = null;
        if (o.Wants("shell"))
        {
            const string g = "shell `true` jobs through queuectl worker run";
            // The issue's figure: `true` as a shell job, which starts /bin/true without sh (a plain
            // command). Then `true;`, which only a shell can run: what a job that needs sh costs.
            // The limit rows were measured minutes before these, and this machine's speed drifts by
            // 10-40% in that time: each worker run is paired with a run of the limit just before it,
            // and the target is judged on the pairs' ratios (the value column keeps the rates).
            foreach (var (command, concurrency, limit) in new[] { ("true", 1, proc1), ("true", 4, proc4), ("true;", 1, proc1), ("true;", 4, proc4) })
            {
                var peaks = new List<double>();
                var issueFigure = command == "true";
                var label = issueFigure ? $"concurrency {concurrency}, {o.ShellJobs} jobs" : $"  `true;` (needs sh), concurrency {concurrency}";
                await AddPaired(new Row(g, label, Unit.PerSecond)
                    {
                        Limit = limit, Target = issueFigure ? ">= 90% of process rate" : "", Met = issueFigure ? (_, r) => r >= 0.9 : null,
                        Note = issueFigure && concurrency == 1 ? PairedNote : null,
                    },
                    () => Limits.ProcessRate(concurrency, o.LimitDuration),
                    async () =>
                    {
                        var db = scratch.NewDatabase("shell");
                        var (rate, peak) = await WorkerBench.ShellAsync(db, concurrency, o.ShellJobs, command).ConfigureAwait(false);
                        peaks.Add(peak);
                        Scratch.Delete(db);
                        return rate;
                    });
                if (issueFigure && concurrency == 4 && peaks.Count > 0) peakRss = peaks.Max();
            }
            // Jobs of 50 ms: a job's own start no longer dominates, so what shows is the worker's
            // time between one job's end and the next one's start. The limit is the same command
            // through Process, each run paired with a run of it just before (longer than the other
            // limit runs in quick mode: a 50 ms process leaves few to count in 0.3 s).
            foreach (var concurrency in new[] { 1, 4 })
            {
                var jobs = (o.Quick ? 12 : 60) * concurrency;
                var limitDuration = o.Quick ? TimeSpan.FromSeconds(0.6) : o.LimitDuration;
                await AddPaired(new Row(g, $"  `sleep 0.05` jobs (50 ms each), concurrency {concurrency}, {jobs} jobs", Unit.PerSecond)
                    {
                        Note = concurrency == 1 ? "what the worker adds between jobs; ratio: each run paired with a run of `/bin/sleep 0.05` through Process (same parallelism) just before it" : null,
                    },
                    () => Limits.SleepRate(concurrency, limitDuration),
                    async () =>
                    {
                        var db = scratch.NewDatabase("shell-sleep");
                        var (rate, _) = await WorkerBench.ShellAsync(db, concurrency, jobs, "sleep 0.05").ConfigureAwait(false);
                        Scratch.Delete(db);
                        return rate;
                    },
                    limitName: $"/bin/sleep 0.05 x{concurrency}");
            }
        }

        // 5. Pickup, idle CPU, memory.
        if (o.Wants("pickup"))
        {
            const string g = "pickup and idle";
            var p50 = new List<double>();
            var p99 = new List<double>();
            var all = new List<double>();
            Say("pickup latency");
            try
            {
                for (var i = 0; i < o.PickupRuns; i++)
                {
                    var db = scratch.NewDatabase("pickup");
                    var latencies = await WorkerBench.PickupAsync(db, o.PickupSamples).ConfigureAwait(false);
                    all.AddRange(latencies);
                    p50.Add(Sample.Percentile(latencies, 50));
                    p99.Add(Sample.Percentile(latencies, 99));
                    Scratch.Delete(db);
                }
                rows.Add(new Row(g, $"pickup p50, {o.PickupSamples} samples per run", Unit.Ms) { Value = Sample.Of(p50), Target = "< 5 ms", Met = (s, _) => s.Median < 5 });
                rows.Add(new Row(g, $"pickup p99, {o.PickupSamples} samples per run", Unit.Ms) { Value = Sample.Of(p99), Target = "< 25 ms", Met = (s, _) => s.Median < 25,
                    Note = $"enqueue (JobQueue.Enqueue) to the no-op executor starting in a bench child worker; all {all.Count} samples: min {all.Min():0.00} ms, max {all.Max():0.00} ms" });
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
            {
                rows.Add(new Row(g, "pickup p50/p99", Unit.Ms) { Missing = $"failed: {e.Message}" });
            }
        }
        if (o.Wants("idle"))
        {
            const string g = "pickup and idle";
            var rss = new List<double>();
            await Add(new Row(g, $"idle worker CPU over {o.IdleDuration.TotalSeconds:0} s (queuectl worker run, 4 slots)", Unit.Percent) { Target = "< 1% of a core", Met = (s, _) => s.Median < 1,
                    Note = o.Quick ? "quick mode idles 5 s per run (full mode 30 s); /proc counts CPU in 10 ms ticks" : "/proc counts CPU in 10 ms ticks" },
                () => Sample.MeasureAsync(o.Quick ? 1 : 3, async () =>
                {
                    var db = scratch.NewDatabase("idle");
                    var (cpu, r) = await WorkerBench.IdleAsync(db, o.IdleDuration).ConfigureAwait(false);
                    rss.Add(r);
                    return cpu;
                }));
            if (rss.Count > 0) rows.Add(new Row(g, "worker RSS, idle", Unit.MiB) { Value = Sample.Of(rss) });
        }
        if (peakRss is { } peakValue)
            rows.Add(new Row("pickup and idle", "worker RSS, peak under load (shell jobs, concurrency 4)", Unit.MiB) { Value = Sample.Of([peakValue]) });
        return rows;
    }
}
