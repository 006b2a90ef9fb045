using System.Collections.Concurrent;
using QueueCtl.Core;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Workers;
using QueueCtl.Tests.Support;
using ExecutionContext = QueueCtl.Core.Workers.ExecutionContext;

namespace QueueCtl.Tests.Core;

/// <summary>The worker runtime in this process, on the real clock, against a real file.</summary>
public class WorkerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private sealed class RecordingExecutor : IJobExecutor
    {
        public ConcurrentQueue<ClaimedJob> Seen { get; } = new();

        public Task<AttemptResult> ExecuteAsync(ClaimedJob job, ExecutionContext context, CancellationToken abort)
        {
            Seen.Enqueue(job);
            return Task.FromResult(AttemptResult.Success($"limit {context.OutputLimit}"));
        }
    }

    [Fact]
    public async Task A_command_that_cannot_start_fails_its_attempt_and_the_reason_is_kept()
    {
        using var temp = new TempQueue();
        using var queue = JobQueue.Open(temp.DatabasePath);
        queue.EnqueueMany([
            new JobSpec { Id = "missing", Command = "/nonexistent/tool --flag", Shell = JobShell.None, MaxRetries = 0 },
            new JobSpec { Id = "no-folder", Command = "true", WorkingDirectory = "/nonexistent/folder", MaxRetries = 0 },
            new JobSpec { Id = "ok", Command = "echo fine" },
        ]);
        await new Worker(temp.DatabasePath, new WorkerOptions { Drain = true }).RunAsync();

        Assert.Equal(JobState.Completed, queue.GetJob("ok").State);
        foreach (var (id, reason) in new[] { ("missing", "/nonexistent/tool"), ("no-folder", "/nonexistent/folder") })
        {
            var job = queue.GetJob(id);
            Assert.Equal(JobState.Dead, job.State);
            Assert.NotNull(job.LastError);
            Assert.Contains(reason, job.LastError + job.Output);
            var attempt = Assert.Single(queue.GetAttempts(id));
            Assert.Equal(AttemptOutcome.Failed, attempt.Outcome);
            Assert.Equal(job.LastError, attempt.Error);
        }
        Assert.Contains("cannot start", queue.GetJob("no-folder").LastError);
    }

    [Fact]
    public async Task A_drained_worker_runs_retries_until_the_job_is_dead()
    {
        using var temp = new TempQueue();
        using var queue = JobQueue.Open(temp.DatabasePath);
        queue.SetConfig("backoff_base", "1"); // one second between attempts
        queue.Enqueue(new JobSpec { Id = "flaky", Command = "echo \"try $QUEUECTL_ATTEMPT\" >> " + temp.File("tries") + "; exit 5", MaxRetries = 2 });
        var worker = new Worker(temp.DatabasePath, new WorkerOptions { Drain = true });
        var events = new ConcurrentQueue<WorkerEvent>();
        worker.EventRaised += events.Enqueue;
        // Drain stops when nothing is due; run it until the job has ended.
        await Eventually.True(() =>
        {
            worker.RunAsync().GetAwaiter().GetResult();
            return queue.GetJob("flaky").State == JobState.Dead;
        }, Patience, () => queue.GetJob("flaky").ToString());

        Assert.Equal("try 1\ntry 2\ntry 3\n", File.ReadAllText(temp.File("tries")));
        var job = queue.GetJob("flaky");
        Assert.Equal(3, job.Attempts);
        Assert.Equal(5, job.ExitCode);
        Assert.Equal([AttemptOutcome.Failed, AttemptOutcome.Failed, AttemptOutcome.Failed], queue.GetAttempts("flaky").Select(a => a.Outcome).ToArray());
        Assert.Contains(events, e => e.Kind == WorkerEventKind.DeadLettered && e.JobId == "flaky");
    }

    [Fact]
    public async Task A_worker_started_after_an_enqueuer_read_the_worker_list_still_sees_its_jobs_soon()
    {
        using var temp = new TempQueue();
        using var queue = JobQueue.Open(temp.DatabasePath);
        queue.Enqueue(new JobSpec { Id = "primer", Command = "true" }); // reads the worker list: empty
        using var stop = new CancellationTokenSource();
        // A safety-net poll far longer than the wait below: only the start-up polling can pick "late" up.
        var run = new Worker(temp.DatabasePath, new WorkerOptions { IdlePoll = TimeSpan.FromSeconds(60) }, new RecordingExecutor()).RunAsync(stop.Token);
        try
        {
            await Eventually.True(() => queue.GetJob("primer").State == JobState.Completed, Patience, "primer completes");
            // The queue's worker list (read before the worker registered) sends this enqueue's wake-up nowhere.
            queue.Enqueue(new JobSpec { Id = "late", Command = "true" });
            await Eventually.True(() => queue.GetJob("late").State == JobState.Completed, TimeSpan.FromSeconds(20),
                "a job enqueued through a worker list older than the worker is picked up well before the 60 s poll");
        }
        finally
        {
            stop.Cancel();
            await run;
        }
    }

    [Fact]
    public async Task Configuration_changed_while_a_worker_idles_applies_to_its_next_claim()
    {
        using var temp = new TempQueue();
        using var queue = JobQueue.Open(temp.DatabasePath);
        var executor = new RecordingExecutor();
        using var stop = new CancellationTokenSource();
        var run = new Worker(temp.DatabasePath, new WorkerOptions(), executor).RunAsync(stop.Token);
        try
        {
            queue.Enqueue(new JobSpec { Id = "before", Command = "true" });
            await Eventually.True(() => queue.GetJob("before").State == JobState.Completed, Patience, "first job completes");

            queue.SetConfig("job_timeout", "7");
            queue.SetConfig("max_retries", "9");
            queue.SetConfig("output_limit", "123");
            queue.Enqueue(new JobSpec { Id = "after", Command = "true" });
            await Eventually.True(() => queue.GetJob("after").State == JobState.Completed, Patience, "second job completes");
        }
        finally
        {
            stop.Cancel();
            await run;
        }
        var seen = executor.Seen.ToDictionary(j => j.Id);
        Assert.Equal((0, 3), (seen["before"].TimeoutSec, seen["before"].MaxRetries));
        Assert.Equal((7, 9), (seen["after"].TimeoutSec, seen["after"].MaxRetries));
        Assert.Equal("limit 65536", queue.GetJob("before").Output);
        Assert.Equal("limit 123", queue.GetJob("after").Output);
    }

    [Fact]
    public async Task Stopping_a_running_job_ends_its_process_and_parks_it_as_cancelled()
    {
        using var temp = new TempQueue();
        using var queue = JobQueue.Open(temp.DatabasePath);
        var pidFile = temp.File("pid");
        // Heartbeats an hour apart: the cancel must reach the worker through its wake-up, not the next heartbeat.
        queue.SetConfig("lease_seconds", "3600");
        queue.Enqueue(new JobSpec { Id = "long", Command = $"echo $$ > {pidFile}; sleep 60", MaxRetries = 5 });
        using var stop = new CancellationTokenSource();
        var run = new Worker(temp.DatabasePath, new WorkerOptions()).RunAsync(stop.Token);
        try
        {
            await Eventually.True(() => File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n'), Patience, "the command starts");
            var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(Eventually.ProcessRuns(pid));

            Assert.Equal(JobState.Processing, queue.StopJob("long").State);
            await Eventually.True(() => queue.GetJob("long").State == JobState.Dead, Patience, () => queue.GetJob("long").ToString());
            await Eventually.True(() => !Eventually.ProcessRuns(pid), TimeSpan.FromSeconds(10), $"pid {pid} ends");
        }
        finally
        {
            stop.Cancel();
            await run;
        }
        var job = queue.GetJob("long");
        Assert.Equal("cancelled by user", job.LastError);
        Assert.Equal(1, job.Attempts);
        Assert.Equal(AttemptOutcome.Cancelled, Assert.Single(queue.GetAttempts("long")).Outcome);
    }

    [Fact]
    public async Task A_running_commands_process_group_is_recorded_for_recovery_and_cleared_when_it_ends()
    {
        using var temp = new TempQueue();
        using var queue = JobQueue.Open(temp.DatabasePath);
        var pidFile = temp.File("pid");
        var release = temp.File("release");
        queue.Enqueue(new JobSpec { Id = "held", Command = $"echo $$ > {pidFile}; while [ ! -e {release} ]; do sleep 0.05; done" });
        using var stop = new CancellationTokenSource();
        var run = new Worker(temp.DatabasePath, new WorkerOptions()).RunAsync(stop.Token);
        try
        {
            await Eventually.True(() => File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n'), Patience, "the command starts");
            var pid = long.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            // What recovery reads after a worker's death: the group to end.
            await Eventually.True(() => RecordedPid(temp.DatabasePath) == pid, Patience, () => $"recorded {RecordedPid(temp.DatabasePath)}, running {pid}");
            File.WriteAllText(release, "");
            await Eventually.True(() => queue.GetJob("held").State == JobState.Completed, Patience, () => queue.GetJob("held").ToString());
            Assert.Null(RecordedPid(temp.DatabasePath));
        }
        finally
        {
            stop.Cancel();
            await run;
        }
    }

    private static long? RecordedPid(string database)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT pid FROM jobs WHERE id = 'held'";
        return command.ExecuteScalar() is long pid ? pid : null;
    }

    [Fact]
    public async Task A_worker_registers_itself_and_records_its_stop()
    {
        using var temp = new TempQueue();
        using var queue = JobQueue.Open(temp.DatabasePath);
        using var stop = new CancellationTokenSource();
        var worker = new Worker(temp.DatabasePath, new WorkerOptions { Slots = 3, Queues = ["a", "b"], WorkerId = "w-test" });
        var run = worker.RunAsync(stop.Token);
        await Eventually.True(() => queue.ListWorkers().Any(w => w.Id == "w-test"), Patience, "the worker registers");
        var live = queue.ListWorkers().Single();
        Assert.Equal((3, "a,b", Environment.ProcessId, WorkerState.Running), (live.Slots, live.QueueList, live.ProcessId, live.State));
        stop.Cancel();
        await run;
        Assert.Empty(queue.ListWorkers());
        Assert.Equal(WorkerState.Stopped, queue.ListWorkers(includeStopped: true).Single().State);
    }
}
