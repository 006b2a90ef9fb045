using QueueCtl.Core;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Storage;
using QueueCtl.Core.Workers;
using QueueCtl.Tests.Support;
using ExecutionContext = QueueCtl.Core.Workers.ExecutionContext;

namespace QueueCtl.Tests.Core;

/// <summary>Workers claim in batches, prefetch short jobs and record many outcomes per transaction.</summary>
public sealed class CompletionBatchingTests
{
    private sealed class CountingExecutor : IJobExecutor
    {
        public readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Runs = new();

        public Task<AttemptResult> ExecuteAsync(ClaimedJob job, ExecutionContext context, CancellationToken abort)
        {
            Runs.AddOrUpdate(job.Id, 1, (_, n) => n + 1);
            return Task.FromResult(job.Command == "fail" ? new AttemptResult(AttemptOutcome.Failed, 1, "exit code 1", null) : AttemptResult.Success());
        }
    }

    [Fact]
    public void A_batched_finish_refuses_each_stale_lease_token_and_applies_the_rest()
    {
        using var temp = new TempQueue();
        using (var queue = JobQueue.Open(temp.DatabasePath))
            queue.EnqueueMany([new JobSpec { Id = "a", Command = "true" }, new JobSpec { Id = "b", Command = "true" }, new JobSpec { Id = "c", Command = "true" }]);
        using var store = SqliteQueueStore.Open(temp.DatabasePath);
        var config = store.GetConfig();
        var claimed = store.Claim("w1", [], 3, config);
        Assert.Equal(3, claimed.Count);

        var stale = claimed[1] with { LeaseToken = claimed[1].LeaseToken ^ 1 };
        var results = store.Finish("w1", [(claimed[0], AttemptResult.Success()), (stale, AttemptResult.Success()), (claimed[2], AttemptResult.Success())], config);

        Assert.Equal([true, false, true], results.Select(r => r.Applied));
        Assert.Equal(JobState.Completed, results[0].NewState);
        Assert.Null(results[1].NewState);
        Assert.Equal(2, temp.Scalar("SELECT count(*) FROM jobs WHERE state = 'completed'"));
        Assert.Equal(1, temp.Scalar($"SELECT count(*) FROM jobs WHERE id = '{claimed[1].Id}' AND state = 'processing'"));
        // The refused attempt wrote no row and is still the one running; the applied ones wrote one each.
        Assert.Equal(0, temp.Scalar($"SELECT count(*) FROM attempts WHERE job_id = '{claimed[1].Id}'"));
        Assert.Equal(AttemptOutcome.Running, Assert.Single(store.GetAttempts(claimed[1].Id)).Outcome);
        Assert.Equal(2, temp.Scalar($"SELECT count(*) FROM attempts WHERE outcome = 'succeeded' AND worker_id = 'w1' AND number = 1 AND lease_token = {claimed[0].LeaseToken}"));
    }

    [Fact]
    public void A_claimed_job_shows_its_running_attempt_and_writes_its_row_once_when_it_ends()
    {
        using var temp = new TempQueue();
        using (var queue = JobQueue.Open(temp.DatabasePath))
            queue.EnqueueMany(Enumerable.Range(0, 50).Select(i => new JobSpec { Id = $"j{i:00}", Command = "true" }).ToList());
        using var store = SqliteQueueStore.Open(temp.DatabasePath);
        var first = store.Claim("w1", [], 20, store.GetConfig());
        var second = store.Claim("w1", [], 20, store.GetConfig());
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"j{i:00}"), first.Select(j => j.Id));
        Assert.Equal(Enumerable.Range(20, 20).Select(i => $"j{i:00}"), second.Select(j => j.Id));

        // While they run, each job's history ends with the attempt its own row describes.
        Assert.Equal(0, temp.Scalar("SELECT count(*) FROM attempts"));
        foreach (var job in first.Concat(second))
        {
            var running = Assert.Single(store.GetAttempts(job.Id));
            Assert.Equal((AttemptOutcome.Running, 1, "w1", job.StartedAt.ToUnixTimeMilliseconds(), (DateTimeOffset?)null),
                (running.Outcome, running.Number, running.WorkerId, running.StartedAt.ToUnixTimeMilliseconds(), running.FinishedAt));
        }

        var fail = new AttemptResult(AttemptOutcome.Failed, 3, "exit code 3", null);
        store.Finish("w1", first.Select(job => (job, fail)).Concat(second.Select(job => (job, AttemptResult.Success()))).ToList(), store.GetConfig());

        // One row per attempt, with the claim's token, number and start and the job's own end.
        Assert.Equal(40, temp.Scalar("""
            SELECT count(*) FROM attempts a JOIN jobs j ON j.id = a.job_id
             WHERE a.number = j.attempts AND a.worker_id = 'w1' AND a.started_at = j.started_at
               AND a.finished_at = j.finished_at AND a.duration_ms = j.duration_ms
            """));
        Assert.Equal(20, temp.Scalar($"SELECT count(*) FROM attempts WHERE lease_token = {first[0].LeaseToken} AND outcome = 'failed' AND exit_code = 3 AND error = 'exit code 3'"));
        Assert.Equal(20, temp.Scalar($"SELECT count(*) FROM attempts WHERE lease_token = {second[0].LeaseToken} AND outcome = 'succeeded' AND exit_code = 0 AND error IS NULL"));
        var retried = store.GetAttempts(first[0].Id);
        Assert.Equal(AttemptOutcome.Failed, Assert.Single(retried).Outcome);
        Assert.Equal(JobState.Failed, store.GetJob(first[0].Id, store.GetConfig())!.State);
    }

    [Fact]
    public async Task A_worker_with_prefetch_runs_every_job_once_and_keeps_every_attempt()
    {
        using var temp = new TempQueue();
        using (var queue = JobQueue.Open(temp.DatabasePath))
        {
            queue.EnqueueMany(Enumerable.Range(0, 2000).Select(i => new JobSpec { Id = $"ok{i}", Command = "true" }).ToList());
            queue.EnqueueMany(Enumerable.Range(0, 20).Select(i => new JobSpec { Id = $"bad{i}", Command = "fail", MaxRetries = 0 }).ToList());
        }
        var executor = new CountingExecutor();
        var completed = 0;
        var worker = new Worker(temp.DatabasePath, new WorkerOptions { Slots = 2, Drain = true }, executor);
        worker.EventRaised += e => { if (e.Kind == WorkerEventKind.Completed) Interlocked.Increment(ref completed); };
        await worker.RunAsync().WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(2020, executor.Runs.Count);
        Assert.All(executor.Runs.Values, n => Assert.Equal(1, n));
        Assert.Equal(2000, completed);
        Assert.Equal(2000, temp.Scalar("SELECT count(*) FROM jobs WHERE state = 'completed'"));
        Assert.Equal(20, temp.Scalar("SELECT count(*) FROM jobs WHERE state = 'dead'"));
        Assert.Equal(2020, temp.Scalar("SELECT count(*) FROM attempts WHERE outcome IN ('succeeded', 'failed') AND finished_at IS NOT NULL"));
        Assert.Equal(2020, temp.Scalar("SELECT jobs_done FROM workers")); // attempts finished, failed ones included
    }

    [Fact]
    public async Task A_graceful_stop_hands_back_prefetched_jobs_without_charging_them()
    {
        using var temp = new TempQueue();
        using (var queue = JobQueue.Open(temp.DatabasePath))
            queue.EnqueueMany(Enumerable.Range(0, 5000).Select(i => new JobSpec { Id = $"j{i}", Command = "true" }).ToList());
        var executor = new CountingExecutor();
        using var stop = new CancellationTokenSource();
        var worker = new Worker(temp.DatabasePath, new WorkerOptions { Slots = 1 }, executor);
        var seen = 0;
        worker.EventRaised += e => { if (e.Kind == WorkerEventKind.Completed && Interlocked.Increment(ref seen) == 300) stop.Cancel(); };
        await worker.RunAsync(stop.Token).WaitAsync(TimeSpan.FromMinutes(2));

        var done = temp.Scalar("SELECT count(*) FROM jobs WHERE state = 'completed'");
        Assert.Equal(executor.Runs.Count, done);
        Assert.Equal(0, temp.Scalar("SELECT count(*) FROM jobs WHERE state = 'processing'"));
        Assert.Equal(5000 - done, temp.Scalar("SELECT count(*) FROM jobs WHERE state = 'pending' AND attempts = 0"));
        AttemptRows.AreOnePerRunOrHandBack(temp, done);
    }
}
