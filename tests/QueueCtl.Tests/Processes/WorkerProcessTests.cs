using System.Globalization;
using QueueCtl.Core;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Workers;
using QueueCtl.Tests.Core;
using QueueCtl.Tests.Support;

namespace QueueCtl.Tests.Processes;

/// <summary>
/// Real `queuectl worker run` processes over one SQLite file: concurrent claims, SIGKILL, SIGTERM,
/// timeouts and restarts. Outcomes are checked from what the commands themselves wrote, not only
/// from the database. Timings are only generous sanity bounds: the machine is small and shared.
/// </summary>
[Trait("Category", "Processes")]
public class WorkerProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static int ReadInt(string text) => int.Parse(text.Trim(), CultureInfo.InvariantCulture);

    private static async Task WaitForLine(string file, string prefix, string what, WorkerProcess? worker = null) =>
        await Eventually.True(() => File.Exists(file) && File.ReadAllLines(file).Any(l => l.StartsWith(prefix, StringComparison.Ordinal)),
            Patience, () => $"{what}; worker log:\n{worker?.Log}");

    [Fact]
    public async Task Eight_worker_processes_run_two_thousand_jobs_each_exactly_once()
    {
        using var temp = new TempQueue();
        var ran = temp.File("ran.log");
        var ids = Enumerable.Range(0, 2000).Select(i => $"job-{i:0000}").ToList();
        using (var queue = JobQueue.Open(temp.DatabasePath))
            queue.EnqueueMany(ids.Select(id => new JobSpec { Id = id, Command = $"echo \"$QUEUECTL_JOB_ID $QUEUECTL_ATTEMPT\" >> {ran}" }));

        var workers = Enumerable.Range(1, 8)
            .Select(i => WorkerProcess.Start(temp.DatabasePath, "--concurrency", "2", "--worker-id", $"p{i}", "--once")).ToList();
        try
        {
            foreach (var worker in workers)
                Assert.True(worker.WaitForExit(TimeSpan.FromSeconds(150)) == 0, worker.Log);
        }
        finally
        {
            foreach (var worker in workers) worker.Dispose();
        }

        // What the commands wrote: every id once, each on its first attempt.
        var lines = File.ReadAllLines(ran);
        var duplicates = lines.GroupBy(l => l).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, "ran more than once: " + string.Join(", ", duplicates.Take(10)));
        Assert.Equal(ids.Select(id => $"{id} 1").ToHashSet(), lines.ToHashSet());

        using var reopened = JobQueue.Open(temp.DatabasePath);
        var jobs = reopened.ListJobs();
        Assert.Equal(2000, jobs.Count);
        Assert.All(jobs, j => Assert.Equal((JobState.Completed, 1), (j.State, j.Attempts)));
        var byWorker = jobs.GroupBy(j => j.WorkerId!).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(byWorker.Count >= 2, "only one process claimed: " + string.Join(", ", byWorker));
        var registered = reopened.ListWorkers(includeStopped: true);
        Assert.Equal(2000, registered.Sum(w => w.JobsDone));
        Assert.All(registered, w => Assert.Equal(WorkerState.Stopped, w.State));
        var attempts = ids.Take(50).SelectMany(reopened.GetAttempts).ToList();
        Assert.All(attempts, a => Assert.Equal(AttemptOutcome.Succeeded, a.Outcome));
        Assert.Equal(50, attempts.Count);
    }

    /// <summary>
    /// The job's command writes a start marker, then a tick every 0.1 s (for a long time on its first
    /// attempt, briefly after), then an end marker, each with a nanosecond timestamp: from these lines
    /// alone we can tell whether two copies of the command ever ran at the same time.
    /// </summary>
    private static string MarkerCommand(string markers) =>
        $"echo \"start $QUEUECTL_ATTEMPT $(date +%s%N) $$\" >> {markers}; " +
        "if [ \"$QUEUECTL_ATTEMPT\" = 1 ]; then n=150; else n=5; fi; i=0; " +
        $"while [ $i -lt $n ]; do echo \"tick $QUEUECTL_ATTEMPT $(date +%s%N)\" >> {markers}; sleep 0.1; i=$((i+1)); done; " +
        $"echo \"end $QUEUECTL_ATTEMPT $(date +%s%N)\" >> {markers}";

    private sealed record Marker(string Kind, int Attempt, long Nanos, string Line);

    private static List<Marker> ReadMarkers(string file) =>
        File.ReadAllLines(file).Select(l => l.Split(' '))
            .Select(p => new Marker(p[0], ReadInt(p[1]), long.Parse(p[2], CultureInfo.InvariantCulture), string.Join(' ', p))).ToList();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_job_whose_worker_is_killed_comes_back_and_never_runs_twice_at_once(bool survivorAlreadyRunning)
    {
        using var temp = new TempQueue();
        var markers = temp.File("markers");
        using var queue = JobQueue.Open(temp.DatabasePath);
        queue.SetConfig("lease_seconds", "2");
        queue.SetConfig("backoff_base", "1");
        queue.Enqueue(new JobSpec { Id = "victim-job", Command = MarkerCommand(markers), MaxRetries = 3 });

        using var victim = WorkerProcess.Start(temp.DatabasePath, "--worker-id", "victim");
        await WaitForLine(markers, "start 1 ", "the first attempt starts", victim);
        // The worker records the command's process group right after starting it: wait for that too,
        // so that the kill lands on a worker that knows what it started.
        await Eventually.True(() => Convert.ToInt64(ScalarOf(temp.DatabasePath, "SELECT count(*) FROM jobs WHERE pid IS NOT NULL")) == 1,
            Patience, () => "the worker records its command's pid; log:\n" + victim.Log);

        WorkerProcess? survivor = null;
        try
        {
            if (survivorAlreadyRunning)
            {
                survivor = WorkerProcess.Start(temp.DatabasePath, "--worker-id", "survivor");
                await Eventually.True(() => queue.ListWorkers().Any(w => w.Id == "survivor"), Patience, "the survivor registers");
            }
            victim.KillHard();
            var firstPid = ReadInt(File.ReadAllLines(markers)[0].Split(' ')[3]);
            if (!survivorAlreadyRunning)
            {
                await Task.Delay(500); // nothing recovers the job while no worker runs
                Assert.Equal(JobState.Processing, queue.GetJob("victim-job").State);
                survivor = WorkerProcess.Start(temp.DatabasePath, "--worker-id", "survivor");
            }

            await Eventually.True(() => queue.GetJob("victim-job").State == JobState.Completed, Patience,
                () => $"{queue.GetJob("victim-job")}; survivor log:\n{survivor!.Log}");
            Assert.False(Eventually.ProcessRuns(firstPid), $"the orphaned first attempt (pid {firstPid}) still runs");
            survivor!.Terminate();
            Assert.Equal(0, survivor.WaitForExit(Patience));
        }
        finally
        {
            survivor?.Dispose();
        }

        var job = queue.GetJob("victim-job");
        Assert.Equal(2, job.Attempts);
        Assert.Equal("survivor", job.WorkerId);
        var attempts = queue.GetAttempts("victim-job");
        Assert.Equal([(1, "victim", AttemptOutcome.WorkerLost), (2, "survivor", AttemptOutcome.Succeeded)],
            attempts.Select(a => (a.Number, a.WorkerId, a.Outcome)).ToArray());
        Assert.StartsWith("worker lost", attempts[0].Error);

        // From the command's own markers: the first copy never ended by itself, and it had stopped
        // writing before the second copy started; the second ran once, start to end.
        var lines = ReadMarkers(markers);
        var first = lines.Where(m => m.Attempt == 1).ToList();
        var second = lines.Where(m => m.Attempt == 2).ToList();
        Assert.DoesNotContain(first, m => m.Kind == "end");
        Assert.Single(second, m => m.Kind == "start");
        Assert.Single(second, m => m.Kind == "end");
        Assert.True(first.Max(m => m.Nanos) < second.Min(m => m.Nanos),
            "the two attempts overlapped:\n" + string.Join("\n", lines.Select(m => m.Line)));
        Assert.DoesNotContain(lines, m => m.Attempt > 2);
    }

    [Fact]
    public async Task A_frozen_worker_that_wakes_after_its_lease_cannot_overwrite_the_retry()
    {
        using var temp = new TempQueue();
        var markers = temp.File("markers");
        using var queue = JobQueue.Open(temp.DatabasePath);
        queue.SetConfig("lease_seconds", "2");
        queue.SetConfig("backoff_base", "1");
        queue.Enqueue(new JobSpec { Id = "frozen-job", Command = MarkerCommand(markers), MaxRetries = 3 });

        using var frozen = WorkerProcess.Start(temp.DatabasePath, "--worker-id", "frozen");
        await WaitForLine(markers, "start 1 ", "the first attempt starts", frozen);
        await Eventually.True(() => Convert.ToInt64(ScalarOf(temp.DatabasePath, "SELECT count(*) FROM jobs WHERE pid IS NOT NULL")) == 1,
            Patience, () => "the worker records its command's pid; log:\n" + frozen.Log);
        using var survivor = WorkerProcess.Start(temp.DatabasePath, "--worker-id", "survivor");
        await Eventually.True(() => queue.ListWorkers().Any(w => w.Id == "survivor"), Patience, "the survivor registers");

        Freeze(frozen, temp.DatabasePath);
        try
        {
            // Its process still exists, so only the lease running out tells the survivor it is gone.
            await Eventually.True(() => queue.GetJob("frozen-job").State == JobState.Completed, Patience,
                () => $"{queue.GetJob("frozen-job")}; survivor log:\n{survivor.Log}");
        }
        finally
        {
            Assert.True(QueueCtl.Core.Processes.ProcessTools.Signal(frozen.Pid, SigCont));
        }
        // Thawed, it finds its command ended and reports the attempt under its old lease token.
        await Eventually.True(() => frozen.Log.Contains("lease had been taken over"), Patience, () => "the stale outcome is refused; log:\n" + frozen.Log);
        frozen.Terminate();
        survivor.Terminate();
        Assert.Equal(0, frozen.WaitForExit(Patience));
        Assert.Equal(0, survivor.WaitForExit(Patience));

        var job = queue.GetJob("frozen-job");
        Assert.Equal((JobState.Completed, 2, "survivor", 0), (job.State, job.Attempts, job.WorkerId, job.ExitCode));
        Assert.Null(job.LastError);
        Assert.Equal([(1, "frozen", AttemptOutcome.WorkerLost), (2, "survivor", AttemptOutcome.Succeeded)],
            queue.GetAttempts("frozen-job").Select(a => (a.Number, a.WorkerId, a.Outcome)).ToArray());
        var lines = ReadMarkers(markers);
        Assert.True(lines.Where(m => m.Attempt == 1).Max(m => m.Nanos) < lines.Where(m => m.Attempt == 2).Min(m => m.Nanos),
            "the two attempts overlapped:\n" + string.Join("\n", lines.Select(m => m.Line)));
    }

    private const int SigStop = 19, SigCont = 18;

    /// <summary>SIGSTOPs a worker at a moment it holds no database lock (else every other worker would wait on it).</summary>
    private static void Freeze(WorkerProcess worker, string database)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            Assert.True(QueueCtl.Core.Processes.ProcessTools.Signal(worker.Pid, SigStop));
            Thread.Sleep(50);
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection(
                new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = database, Pooling = false, DefaultTimeout = 1 }.ToString());
            connection.Open();
            using var probe = connection.CreateCommand();
            probe.CommandText = "PRAGMA busy_timeout = 300; BEGIN IMMEDIATE; ROLLBACK;";
            try { probe.ExecuteNonQuery(); return; }
            catch (Microsoft.Data.Sqlite.SqliteException) { }
            Assert.True(QueueCtl.Core.Processes.ProcessTools.Signal(worker.Pid, SigCont));
            Thread.Sleep(100);
        }
        Assert.Fail("could not freeze the worker outside a transaction");
    }

    [Fact]
    public async Task Sigterm_lets_a_running_job_finish_within_the_grace()
    {
        using var temp = new TempQueue();
        var trace = temp.File("trace");
        using var queue = JobQueue.Open(temp.DatabasePath);
        queue.SetConfig("shutdown_grace", "30");
        queue.Enqueue(new JobSpec { Id = "finishes", Command = $"echo started >> {trace}; sleep 2; echo finished >> {trace}" });
        queue.Enqueue(new JobSpec { Id = "not-started", Command = $"echo second >> {trace}", Priority = -1 });

        using var worker = WorkerProcess.Start(temp.DatabasePath, "--worker-id", "graceful");
        await WaitForLine(trace, "started", "the job starts", worker);
        worker.Terminate();
        Assert.Equal(0, worker.WaitForExit(Patience));

        Assert.Equal(["started", "finished"], File.ReadAllLines(trace));
        var job = queue.GetJob("finishes");
        Assert.Equal((JobState.Completed, 1), (job.State, job.Attempts));
        Assert.Equal(JobState.Pending, queue.GetJob("not-started").State); // nothing new is claimed once stopping
        Assert.Equal(WorkerState.Stopped, queue.ListWorkers(includeStopped: true).Single().State);
    }

    [Fact]
    public async Task Sigterm_hands_back_a_job_longer_than_the_grace_without_charging_it()
    {
        using var temp = new TempQueue();
        var pidFile = temp.File("pid");
        using var queue = JobQueue.Open(temp.DatabasePath);
        queue.SetConfig("shutdown_grace", "1");
        queue.Enqueue(new JobSpec { Id = "long", Command = $"echo $$ > {pidFile}; sleep 60; echo done > {pidFile}", MaxRetries = 0 });

        using var worker = WorkerProcess.Start(temp.DatabasePath, "--worker-id", "leaving");
        await WaitForLine(pidFile, "", "the job starts", worker);
        await Eventually.True(() => File.ReadAllText(pidFile).EndsWith('\n'), Patience, "the pid is written");
        var pid = ReadInt(File.ReadAllText(pidFile));
        worker.Terminate();
        Assert.Equal(0, worker.WaitForExit(Patience));

        Assert.False(Eventually.ProcessRuns(pid), $"the handed-back command (pid {pid}) still runs");
        var job = queue.GetJob("long");
        Assert.Equal(JobState.Pending, job.State);
        Assert.Equal(0, job.Attempts); // not charged: with max_retries 0 it can still run
        Assert.Null(job.WorkerId);
        Assert.Equal(AttemptOutcome.HandedBack, Assert.Single(queue.GetAttempts("long")).Outcome);
        Assert.Contains("handed back", worker.Log);
        Assert.Equal(pid.ToString(CultureInfo.InvariantCulture), File.ReadAllText(pidFile).Trim()); // it never reached its end
    }

    [Fact]
    public async Task A_timed_out_job_ends_with_its_whole_process_tree()
    {
        using var temp = new TempQueue();
        var pids = temp.File("pids");
        using var queue = JobQueue.Open(temp.DatabasePath);
        queue.Enqueue(new JobSpec
        {
            Id = "slow", TimeoutSec = 1, MaxRetries = 0,
            Command = $"echo $$ >> {pids}; sleep 30 & echo $! >> {pids}; sleep 30; wait",
        });

        using var worker = WorkerProcess.Start(temp.DatabasePath, "--once");
        Assert.Equal(0, worker.WaitForExit(Patience));

        var job = queue.GetJob("slow");
        Assert.Equal(JobState.Dead, job.State);
        Assert.StartsWith("timeout", job.LastError);
        Assert.Equal(AttemptOutcome.TimedOut, Assert.Single(queue.GetAttempts("slow")).Outcome);
        Assert.InRange(job.Duration!.Value, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(20)); // about a second, not thirty

        var started = File.ReadAllLines(pids).Select(ReadInt).ToList();
        Assert.Equal(2, started.Count); // the shell and its background child
        foreach (var pid in started)
            Assert.False(Eventually.ProcessRuns(pid), $"pid {pid} of the timed-out job still runs");
    }

    [Fact]
    public async Task Jobs_and_their_history_survive_worker_restarts()
    {
        using var temp = new TempQueue();
        var ran = temp.File("ran");
        using (var queue = JobQueue.Open(temp.DatabasePath))
        {
            queue.EnqueueMany(Enumerable.Range(0, 5).Select(i => new JobSpec { Id = $"first-{i}", Command = $"echo \"$QUEUECTL_JOB_ID\" | tee -a {ran}" }));
            queue.Enqueue(new JobSpec { Id = "elsewhere", Command = "true", Queue = "other" });
        }

        using (var worker = WorkerProcess.Start(temp.DatabasePath, "--worker-id", "first-run", "--queue", "default"))
        {
            using var watch = JobQueue.Open(temp.DatabasePath);
            await Eventually.True(() => watch.ListJobs(new JobFilter { States = [JobState.Completed] }).Count == 5, Patience, () => worker.Log);
            worker.Terminate();
            Assert.Equal(0, worker.WaitForExit(Patience));
        }

        // No worker runs now: new jobs wait, and everything is on disk.
        using (var queue = JobQueue.Open(temp.DatabasePath))
        {
            queue.EnqueueMany(Enumerable.Range(0, 5).Select(i => new JobSpec { Id = $"second-{i}", Command = $"echo \"$QUEUECTL_JOB_ID\" | tee -a {ran}" }));
        }
        using (var queue = JobQueue.Open(temp.DatabasePath))
        {
            Assert.Equal(5, queue.ListJobs(new JobFilter { States = [JobState.Pending], Queues = ["default"] }).Count);
            Assert.Equal(JobState.Pending, queue.GetJob("elsewhere").State); // not a queue the first worker served
            Assert.Equal("first-3\n", queue.GetJob("first-3").Output);
        }

        using (var worker = WorkerProcess.Start(temp.DatabasePath, "--worker-id", "second-run", "--once"))
            Assert.Equal(0, worker.WaitForExit(Patience));

        using var after = JobQueue.Open(temp.DatabasePath);
        var jobs = after.ListJobs();
        Assert.All(jobs, j => Assert.Equal((JobState.Completed, 1), (j.State, j.Attempts)));
        Assert.Equal(5, jobs.Count(j => j.WorkerId == "first-run"));
        Assert.Equal(6, jobs.Count(j => j.WorkerId == "second-run"));
        Assert.All(jobs.Where(j => j.Queue == "default"), j => Assert.Equal(j.Id + "\n", j.Output));
        Assert.Equal(10, File.ReadAllLines(ran).Distinct().Count());
        Assert.Equal(10, File.ReadAllLines(ran).Length);
        Assert.Equal(["first-run", "second-run"], after.ListWorkers(includeStopped: true).Select(w => w.Id).Order().ToArray());
    }

    private static object? ScalarOf(string path, string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(
            new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
