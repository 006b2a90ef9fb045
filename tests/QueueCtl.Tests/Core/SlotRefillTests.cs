using QueueCtl.Core;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Workers;
using QueueCtl.Tests.Support;
using ExecutionContext = QueueCtl.Core.Workers.ExecutionContext;

namespace QueueCtl.Tests.Core;

/// <summary>
/// Jobs of milliseconds or more: a slot that runs out of claimed jobs writes the waiting outcomes
/// and claims the next jobs itself; the recorder writes whatever a slot busy with a long job leaves.
/// (Microsecond jobs take the other path, covered by <see cref="CompletionBatchingTests"/>.)
/// </summary>
public sealed class SlotRefillTests
{
    /// <summary>Runs each job for a few milliseconds ("fail" fails; "long" runs until the attempt is ended).</summary>
    private sealed class MillisecondExecutor : IJobExecutor
    {
        public readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Runs = new();
        public readonly TaskCompletionSource LongStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<AttemptResult> ExecuteAsync(ClaimedJob job, ExecutionContext context, CancellationToken abort)
        {
            Runs.AddOrUpdate(job.Id, 1, (_, n) => n + 1);
            if (job.Command == "long")
            {
                LongStarted.TrySetResult();
                try { await Task.Delay(Timeout.Infinite, abort); }
                catch (OperationCanceledException) { }
                return new AttemptResult(AttemptOutcome.Failed, null, "ended", null);
            }
            await Task.Delay(2, CancellationToken.None);
            return job.Command == "fail" ? new AttemptResult(AttemptOutcome.Failed, 1, "exit code 1", null) : AttemptResult.Success();
        }
    }

    [Fact]
    public async Task Four_slots_refilling_themselves_run_every_job_once_and_keep_every_attempt()
    {
        using var temp = new TempQueue();
        using (var queue = JobQueue.Open(temp.DatabasePath))
        {
            queue.EnqueueMany(Enumerable.Range(0, 400).Select(i => new JobSpec { Id = $"ok{i}", Command = "short" }).ToList());
            queue.EnqueueMany(Enumerable.Range(0, 10).Select(i => new JobSpec { Id = $"bad{i}", Command = "fail", MaxRetries = 0 }).ToList());
        }
        var executor = new MillisecondExecutor();
        var completed = 0;
        var worker = new Worker(temp.DatabasePath, new WorkerOptions { Slots = 4, Drain = true }, executor);
        worker.EventRaised += e => { if (e.Kind == WorkerEventKind.Completed) Interlocked.Increment(ref completed); };
        // --once must still end: the slot that claims nothing more hands over to the claim loop.
        await worker.RunAsync().WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(410, executor.Runs.Count);
        Assert.All(executor.Runs.Values, n => Assert.Equal(1, n));
        Assert.Equal(400, completed);
        Assert.Equal(400, temp.Scalar("SELECT count(*) FROM jobs WHERE state = 'completed'"));
        Assert.Equal(10, temp.Scalar("SELECT count(*) FROM jobs WHERE state = 'dead'"));
        Assert.Equal(410, temp.Scalar("SELECT count(*) FROM attempts WHERE outcome IN ('succeeded', 'failed') AND finished_at IS NOT NULL"));
        Assert.Equal(410, temp.Scalar("SELECT count(DISTINCT job_id) FROM attempts"));
        Assert.Equal(410, temp.Scalar("SELECT jobs_done FROM workers"));
    }

    [Fact]
    public async Task Outcomes_waiting_behind_a_long_job_on_the_only_slot_are_written_while_it_runs()
    {
        using var temp = new TempQueue();
        using (var queue = JobQueue.Open(temp.DatabasePath))
        {
            queue.EnqueueMany(Enumerable.Range(0, 10).Select(i => new JobSpec { Id = $"short{i}", Command = "short" }).ToList());
            queue.Enqueue(new JobSpec { Id = "long", Command = "long" });
        }
        var executor = new MillisecondExecutor();
        using var stopNow = new CancellationTokenSource();
        var worker = new Worker(temp.DatabasePath, new WorkerOptions { Slots = 1 }, executor);
        var run = worker.RunAsync(default, stopNow.Token);
        try
        {
            await executor.LongStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
            // The slot ran the short jobs from its prefetch and went straight on to the long one, so it
            // wrote none of their outcomes; they must not wait for the long job's end.
            await Eventually.True(() => temp.Scalar("SELECT count(*) FROM jobs WHERE state = 'completed'") == 10,
                TimeSpan.FromSeconds(10), () => $"{temp.Scalar("SELECT count(*) FROM jobs WHERE state = 'completed'")} of 10 short jobs recorded");
            Assert.Equal(1, temp.Scalar("SELECT count(*) FROM jobs WHERE id = 'long' AND state = 'processing'"));
        }
        finally
        {
            stopNow.Cancel();
            await run.WaitAsync(TimeSpan.FromSeconds(30));
        }
        Assert.Equal(1, temp.Scalar("SELECT count(*) FROM jobs WHERE id = 'long' AND state = 'pending' AND attempts = 0"));
    }

    [Fact]
    public async Task A_graceful_stop_while_slots_refill_hands_back_prefetched_jobs_without_charging_them()
    {
        using var temp = new TempQueue();
        using (var queue = JobQueue.Open(temp.DatabasePath))
            queue.EnqueueMany(Enumerable.Range(0, 2000).Select(i => new JobSpec { Id = $"j{i}", Command = "short" }).ToList());
        var executor = new MillisecondExecutor();
        using var stop = new CancellationTokenSource();
        var worker = new Worker(temp.DatabasePath, new WorkerOptions { Slots = 2 }, executor);
        var seen = 0;
        worker.EventRaised += e => { if (e.Kind == WorkerEventKind.Completed && Interlocked.Increment(ref seen) == 100) stop.Cancel(); };
        await worker.RunAsync(stop.Token).WaitAsync(TimeSpan.FromMinutes(2));

        var done = temp.Scalar("SELECT count(*) FROM jobs WHERE state = 'completed'");
        Assert.InRange(done, 100, 1999);
        Assert.Equal(executor.Runs.Count, done);
        Assert.All(executor.Runs.Values, n => Assert.Equal(1, n));
        Assert.Equal(0, temp.Scalar("SELECT count(*) FROM jobs WHERE state = 'processing'"));
        Assert.Equal(2000 - done, temp.Scalar("SELECT count(*) FROM jobs WHERE state = 'pending' AND attempts = 0"));
        AttemptRows.AreOnePerRunOrHandBack(temp, done);
    }

    /// <summary>
    /// With --once (Drain) the claim loop ends as soon as nothing is due and nothing is held. A slot
    /// that has just written its outcomes may still claim after that: a job that fell due in
    /// between must not be claimed by a worker that is closing, or it would sit in processing,
    /// run by no one, until its lease ran out (seen once in CI as a `worker run --once` that left
    /// a retry in processing). Here the slot is held in the first job's Completed event until the
    /// second job is due, well after the claim loop (which looks every 50 ms in a worker's first
    /// seconds) has found nothing due and ended.
    /// </summary>
    [Fact]
    public async Task A_worker_run_once_does_not_claim_a_job_that_falls_due_while_it_closes()
    {
        using var temp = new TempQueue();
        var lateAt = DateTimeOffset.UtcNow.AddSeconds(3);
        using (var queue = JobQueue.Open(temp.DatabasePath))
        {
            queue.Enqueue(new JobSpec { Id = "first", Command = "short" });
            queue.Enqueue(new JobSpec { Id = "late", Command = "short", RunAt = lateAt });
        }
        long lateWaitingWhileHeld = -1;
        var worker = new Worker(temp.DatabasePath, new WorkerOptions { Slots = 1, Drain = true }, new MillisecondExecutor());
        worker.EventRaised += e =>
        {
            if (e.Kind != WorkerEventKind.Completed || e.JobId != "first") return;
            // On the thread that wrote the outcome, before it claims again.
            var wait = lateAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300);
            if (wait > TimeSpan.Zero) Thread.Sleep(wait);
            lateWaitingWhileHeld = temp.Scalar("SELECT count(*) FROM jobs WHERE id = 'late' AND state = 'pending'");
        };

        await worker.RunAsync().WaitAsync(TimeSpan.FromMinutes(1));

        // The claim loop left "late" alone: it ended before "late" was due.
        Assert.Equal(1, lateWaitingWhileHeld);
        Assert.Equal(1, temp.Scalar("SELECT count(*) FROM jobs WHERE id = 'first' AND state = 'completed'"));
        Assert.Equal(1, temp.Scalar("SELECT count(*) FROM jobs WHERE id = 'late' AND state = 'pending'"));
        Assert.Equal(0, temp.Scalar("SELECT count(*) FROM attempts WHERE job_id = 'late'"));
    }
}
