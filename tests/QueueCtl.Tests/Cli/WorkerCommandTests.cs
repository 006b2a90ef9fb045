using System.Diagnostics;
using QueueCtl.Core;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Workers;
using QueueCtl.Tests.Support;

namespace QueueCtl.Tests.Cli;

/// <summary>worker start/stop/list/run and the classic start/stop, with real processes.</summary>
public class WorkerCommandTests
{
    private static void EnqueueMarkers(TempQueue temp, int count, string prefix = "job")
    {
        var lines = Enumerable.Range(1, count).Select(i => $"{{\"id\":\"{prefix}{i}\",\"command\":\"echo {prefix}{i} >> '{temp.File("done.txt")}'\"}}");
        Assert.Equal(0, Cli.RunWithInput(temp, string.Join('\n', lines), "enqueue", "-").ExitCode);
    }

    private static string[] Done(TempQueue temp) =>
        File.Exists(temp.File("done.txt")) ? File.ReadAllLines(temp.File("done.txt")) : [];

    [Fact]
    public void Worker_start_once_processes_what_is_due_and_logs_each_step()
    {
        using var temp = new TempQueue();
        EnqueueMarkers(temp, 3);
        Cli.Ok(temp, "enqueue", "--id", "fails", "--max-retries", "0", "exit 4");
        Cli.Ok(temp, "enqueue", "--id", "future", "--delay", "1h", "echo no");
        var result = Cli.Ok(temp, "worker", "start", "--once");
        Assert.Contains("picked", result.StdOut);
        Assert.Contains("completed", result.StdOut);
        Assert.Contains("deadlettered", result.StdOut);
        Assert.Equal(["job1", "job2", "job3"], Done(temp).Order());
        Assert.Equal(JobState.Dead, Cli.Job(temp, "fails").State);
        Assert.Equal(JobState.Pending, Cli.Job(temp, "future").State);
    }

    [Fact]
    public void Worker_start_with_count_runs_several_processes_and_every_job_once()
    {
        using var temp = new TempQueue();
        EnqueueMarkers(temp, 12);
        var result = Cli.Ok(temp, "worker", "start", "--count", "3", "--concurrency", "2", "--once");
        Assert.Equal(Enumerable.Range(1, 12).Select(i => $"job{i}").Order(), Done(temp).Order());
        using var queue = JobQueue.Open(temp.DatabasePath);
        var workers = queue.ListWorkers(includeStopped: true);
        Assert.Equal(3, workers.Count);
        Assert.All(workers, w => Assert.Equal(WorkerState.Stopped, w.State));
        Assert.All(workers, w => Assert.Equal(2, w.Slots));
        Assert.Equal(3, workers.Select(w => w.ProcessId).Distinct().Count());
        Assert.All(workers, w => Assert.Contains($"[{w.Id}]", result.StdOut));
    }

    [Fact]
    public void Worker_start_serves_only_the_queues_asked()
    {
        using var temp = new TempQueue();
        Cli.Ok(temp, "enqueue", "--id", "mine", "--queue", "images", "echo mine");
        Cli.Ok(temp, "enqueue", "--id", "theirs", "--queue", "mail", "echo theirs");
        Cli.Ok(temp, "worker", "start", "--queue", "images", "--once");
        Assert.Equal(JobState.Completed, Cli.Job(temp, "mine").State);
        Assert.Equal(JobState.Pending, Cli.Job(temp, "theirs").State);
    }

    [Fact]
    public async Task Detached_workers_return_at_once_process_jobs_and_stop_on_worker_stop()
    {
        using var temp = new TempQueue();
        var started = Cli.Ok(temp, "worker", "start", "--detach", "--count", "2", "--json");
        var workers = Cli.Json(started).EnumerateArray().ToList();
        Assert.Equal(2, workers.Count);
        var ids = workers.Select(w => w.GetProperty("id").GetString()!).ToList();
        var pids = workers.Select(w => w.GetProperty("pid").GetInt32()).ToList();
        try
        {
            // They registered before start returned, and they are running in the background now.
            using (var queue = JobQueue.Open(temp.DatabasePath))
                Assert.Equal(ids.Order(), queue.ListWorkers().Where(w => w.State == WorkerState.Running).Select(w => w.Id).Order());
            Assert.All(pids, pid => Assert.False(Process.GetProcessById(pid).HasExited));
            Assert.All(workers, w => Assert.StartsWith(Path.Combine(temp.Folder, "logs"), w.GetProperty("logPath").GetString()));

            EnqueueMarkers(temp, 6);
            await Cli.Eventually(() => Done(temp).Length == 6, "the detached workers ran all 6 jobs");
            Assert.All(ids, id => Assert.Contains(id, Cli.Ok(temp, "worker", "list").StdOut));
            var list = Cli.Json(Cli.Ok(temp, "worker", "list", "--json")).EnumerateArray().ToList();
            Assert.Equal(ids.Order(), list.Select(w => w.GetProperty("id").GetString()).Order());
            Assert.All(list, w => Assert.Equal("running", w.GetProperty("state").GetString()));

            var stop = Cli.Ok(temp, "worker", "stop");
            Assert.All(ids, id => Assert.Contains(id, stop.StdOut));
            await Cli.Eventually(() => pids.All(pid => !IsRunning(pid)), "the detached workers exited");
            using var reopened = JobQueue.Open(temp.DatabasePath);
            Assert.All(reopened.ListWorkers(includeStopped: true), w => Assert.Equal(WorkerState.Stopped, w.State));
            Assert.All(ids, id => Assert.Contains("stopped", File.ReadAllText(Path.Combine(temp.Folder, "logs", id + ".log"))));
            Assert.Contains("No workers are running", Cli.Ok(temp, "worker", "list").StdOut);
        }
        finally
        {
            foreach (var pid in pids) if (IsRunning(pid)) Process.GetProcessById(pid).Kill();
        }
    }

    [Fact]
    public async Task Classic_start_and_stop_spellings_work()
    {
        using var temp = new TempQueue();
        var started = Cli.Ok(temp, "start", "--count", "2", "--detach", "--json");
        var pids = Cli.Json(started).EnumerateArray().Select(w => w.GetProperty("pid").GetInt32()).ToList();
        try
        {
            EnqueueMarkers(temp, 2);
            await Cli.Eventually(() => Done(temp).Length == 2, "classic start ran the jobs");
            var stop = Cli.Ok(temp, "stop", "--wait");
            Assert.Contains("2 worker(s) stopped", stop.StdOut);
            Assert.All(pids, pid => Assert.False(IsRunning(pid) && !Zombie(pid)));
        }
        finally
        {
            foreach (var pid in pids) if (IsRunning(pid)) Process.GetProcessById(pid).Kill();
        }
    }

    [Fact]
    public async Task Worker_stop_force_hands_back_a_running_job_at_once()
    {
        using var temp = new TempQueue();
        Cli.Ok(temp, "enqueue", "--id", "long", "sleep 60");
        var started = Cli.Json(Cli.Ok(temp, "worker", "start", "--detach", "--json"));
        var pid = started[0].GetProperty("pid").GetInt32();
        var id = started[0].GetProperty("id").GetString()!;
        try
        {
            await Cli.Eventually(() => Cli.Job(temp, "long").State == JobState.Processing, "the job started");
            var stop = Cli.Json(Cli.Ok(temp, "worker", "stop", id, "--force", "--wait", "--json"));
            Assert.True(stop.GetProperty("force").GetBoolean());
            Assert.Equal(id, stop.GetProperty("asked")[0].GetString());
            var job = Cli.Job(temp, "long");
            Assert.Equal(JobState.Pending, job.State);
            Assert.Equal(0, job.Attempts);
        }
        finally
        {
            if (IsRunning(pid)) Process.GetProcessById(pid).Kill();
        }
    }

    [Fact]
    public async Task Foreground_worker_stopped_by_sigterm_hands_back_its_running_job_without_charging_it()
    {
        using var temp = new TempQueue();
        Cli.Ok(temp, "config", "set", "shutdown_grace", "1");
        Cli.Ok(temp, "enqueue", "--id", "sleeper", "sleep 60");
        using var process = CliRunner.Start(["--db", temp.DatabasePath, "worker", "start"]);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await Cli.Eventually(() => Cli.Job(temp, "sleeper").State == JobState.Processing || process.HasExited, "the worker picked the job");
            if (process.HasExited) Assert.Fail($"the worker exited early: {process.ExitCode}\n{await stdout}\n{await stderr}");
            Cli.SendSigterm(process.Id);
            Assert.True(process.WaitForExit(120_000), "the worker did not exit after SIGTERM");
            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{await stdout}\n{await stderr}");
            var output = await stdout;
            Assert.Contains("handedback", output);
            Assert.Contains("stopped", output);
            var job = Cli.Job(temp, "sleeper");
            Assert.Equal(JobState.Pending, job.State);
            Assert.Equal(0, job.Attempts);
            using var queue = JobQueue.Open(temp.DatabasePath);
            Assert.Equal(AttemptOutcome.HandedBack, Assert.Single(queue.GetAttempts("sleeper")).Outcome);
            Assert.Equal(WorkerState.Stopped, Assert.Single(queue.ListWorkers(includeStopped: true)).State);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Foreground_workers_with_count_all_stop_on_one_sigterm()
    {
        using var temp = new TempQueue();
        Cli.Ok(temp, "config", "set", "shutdown_grace", "1");
        Cli.Ok(temp, "enqueue", "--id", "s1", "sleep 60");
        Cli.Ok(temp, "enqueue", "--id", "s2", "sleep 60");
        using var process = CliRunner.Start(["--db", temp.DatabasePath, "worker", "start", "--count", "2"]);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await Cli.Eventually(() => (Cli.Job(temp, "s1").State == JobState.Processing && Cli.Job(temp, "s2").State == JobState.Processing) || process.HasExited,
                "both workers picked a job");
            if (process.HasExited) Assert.Fail($"the workers exited early: {process.ExitCode}\n{await stdout}\n{await stderr}");
            Cli.SendSigterm(process.Id);
            Assert.True(process.WaitForExit(120_000), "the workers did not exit after SIGTERM");
            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{await stdout}\n{await stderr}");
            foreach (var id in new[] { "s1", "s2" })
            {
                var job = Cli.Job(temp, id);
                Assert.Equal((JobState.Pending, 0), (job.State, job.Attempts));
            }
            using var queue = JobQueue.Open(temp.DatabasePath);
            var workers = queue.ListWorkers(includeStopped: true);
            Assert.Equal(2, workers.Count);
            Assert.All(workers, w => Assert.Equal(WorkerState.Stopped, w.State));
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void Worker_run_keeps_its_flags_and_writes_its_log()
    {
        using var temp = new TempQueue();
        Cli.Ok(temp, "enqueue", "--id", "q1job", "--queue", "q1", "echo hi");
        Cli.Ok(temp, "enqueue", "--id", "q2job", "--queue", "q2", "echo hi");
        var log = temp.File("worker.log");
        var result = Cli.Ok(temp, "worker", "run", "--concurrency", "2", "--queue", "q1", "--worker-id", "my-worker", "--once", "--log", log);
        Assert.Contains("q1job", result.StdOut);
        Assert.Equal(JobState.Completed, Cli.Job(temp, "q1job").State);
        Assert.Equal(JobState.Pending, Cli.Job(temp, "q2job").State);
        Assert.Contains("picked       q1job", File.ReadAllText(log));
        var worker = Assert.Single(Cli.Json(Cli.Ok(temp, "worker", "list", "--all", "--json")).EnumerateArray());
        Assert.Equal("my-worker", worker.GetProperty("id").GetString());
        Assert.Equal("stopped", worker.GetProperty("state").GetString());
        Assert.Equal(2, worker.GetProperty("slots").GetInt32());
        Assert.Equal("q1", worker.GetProperty("queues")[0].GetString());
    }

    [Fact]
    public void Detached_start_on_an_unusable_database_fails_before_starting_anything()
    {
        using var temp = new TempQueue();
        File.WriteAllText(temp.DatabasePath, "not a database");
        var result = Cli.Run(temp, "worker", "start", "--detach");
        Cli.AssertRefused(result, 5, "not a QueueCtl database");
        Assert.False(Directory.Exists(temp.File("logs")));
    }

    [Fact]
    public async Task A_worker_started_with_sigchld_ignored_still_reports_how_each_job_ended()
    {
        // An ignored SIGCHLD is inherited across exec, and with it the kernel reaps children itself:
        // a worker that did not undo it would never learn an exit status. (bash: dash's trap cannot ignore it.)
        using var temp = new TempQueue();
        Cli.Ok(temp, "enqueue", "--id", "ok", "echo fine");
        Cli.Ok(temp, "enqueue", "--id", "fails", "--max-retries", "0", "exit 5");
        // The paths go in as bash's positional parameters, so no quoting is needed.
        var start = new ProcessStartInfo("/bin/bash", ["-c", "trap '' CHLD; exec \"$@\"", "bash",
            .. RepoPaths.QueueCtlCommand, "--db", temp.DatabasePath, "worker", "start", "--once"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var worker = Process.Start(start)!;
        var stderr = worker.StandardError.ReadToEndAsync();
        worker.StandardOutput.ReadToEnd();
        Assert.True(worker.WaitForExit(Cli.Generous), "the worker did not finish");
        Assert.True(worker.ExitCode == 0, await stderr);
        var ok = Cli.Job(temp, "ok");
        Assert.Equal(JobState.Completed, ok.State);
        Assert.Equal("fine\n", ok.Output);
        var fails = Cli.Job(temp, "fails");
        Assert.Equal(JobState.Dead, fails.State);
        Assert.Equal(5, fails.ExitCode);
    }

    private static bool IsRunning(int pid)
    {
        try { using var p = Process.GetProcessById(pid); return !p.HasExited && !Zombie(pid); }
        catch (ArgumentException) { return false; }
    }

    private static bool Zombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] is 'Z' or 'X';
        }
        catch (IOException) { return true; }
    }
}
