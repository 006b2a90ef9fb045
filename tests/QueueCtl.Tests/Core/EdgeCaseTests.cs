using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;

namespace QueueCtl.Tests.Core;

/// <summary>Corners of the lifecycle and the facade that the main lifecycle tests do not walk through.</summary>
public class EdgeCaseTests
{
    [Fact]
    public void Negative_zero_is_stored_as_plain_zero()
    {
        using var q = new CoreQueue();
        var entry = q.Queue.SetConfig("job_timeout", "-0");
        Assert.Equal("0", entry.Value);
        Assert.True(entry.IsDefault);
    }

    [Fact]
    public async Task Waiting_for_jobs_returns_ended_jobs_and_names_the_ones_still_going()
    {
        using var q = new CoreQueue();
        q.Add("done");
        q.Succeed(q.MustClaim("done"));
        q.Add("waiting");

        var ended = await q.Queue.WaitForJobsAsync(["done"], TimeSpan.FromSeconds(5));
        Assert.Equal(JobState.Completed, Assert.Single(ended).State);

        var e = await Assert.ThrowsAsync<QueueException>(() => q.Queue.WaitForJobsAsync(["done", "waiting"], TimeSpan.FromMilliseconds(200)));
        Assert.Equal(QueueErrorKind.Timeout, e.Kind);
        Assert.Equal("WaitTimedOut", e.ErrorId);
        Assert.Contains("1 of 2", e.Message);
        Assert.Contains("waiting", e.Message);

        var missing = await Assert.ThrowsAsync<QueueException>(() => q.Queue.WaitForJobsAsync(["done", "ghost"], TimeSpan.FromSeconds(1)));
        Assert.Equal(QueueErrorKind.NotFound, missing.Kind);
    }

    [Fact]
    public void A_job_stopped_by_a_person_stays_stopped_when_its_worker_is_lost()
    {
        using var q = new CoreQueue();
        q.Queue.SetConfig("lease_seconds", "5");
        q.Add("a", "sleep 100", maxRetries: 3);
        q.MustClaim("a", "doomed");
        Assert.Equal(JobState.Processing, q.Queue.StopJob("a").State);

        // The worker dies before it acts on the request: the lease runs out and the attempt is reaped.
        q.Clock.Advance(TimeSpan.FromSeconds(6));
        Assert.True(q.Store.FailLostAttempt(Assert.Single(q.Store.FindExpiredLeases()), q.Store.GetConfig()));

        var job = q.Queue.GetJob("a");
        Assert.Equal(JobState.Dead, job.State); // not retried against the person's wish
        Assert.Equal("cancelled by user", job.LastError);
        Assert.Equal(AttemptOutcome.WorkerLost, Assert.Single(q.Queue.GetAttempts("a")).Outcome);
        q.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Null(q.ClaimOne());
    }

    [Fact]
    public void A_handed_back_attempt_keeps_its_row_and_the_next_attempt_reuses_its_number()
    {
        using var q = new CoreQueue();
        q.Add("a", maxRetries: 1);
        var first = q.MustClaim("a", "stopping");
        q.Finish(first, new AttemptResult(AttemptOutcome.HandedBack, null, null, null), "stopping");
        var second = q.MustClaim("a", "next");
        q.Fail(second, 2);
        q.Clock.Advance(TimeSpan.FromMinutes(1));
        var third = q.MustClaim("a", "next");
        Assert.Equal(2, third.Attempt);
        q.Fail(third, 3);
        Assert.Equal(JobState.Dead, q.Queue.GetJob("a").State); // the hand-back did not use up the retry
        Assert.Equal([(1, AttemptOutcome.HandedBack), (1, AttemptOutcome.Failed), (2, AttemptOutcome.Failed)],
            q.Queue.GetAttempts("a").Select(x => (x.Number, x.Outcome)).ToArray());
    }

    [Fact]
    public void Restoring_a_job_cancelled_while_it_ran_lets_it_run_to_the_end()
    {
        using var q = new CoreQueue();
        q.Add("a");
        var claimed = q.MustClaim("a");
        q.Queue.StopJob("a");
        q.Finish(claimed, new AttemptResult(AttemptOutcome.Cancelled, 143, "cancelled by user", null));
        q.Queue.RestoreDeadJob("a");
        var again = q.MustClaim("a");
        Assert.Empty(q.Store.ReadControl("w1").CancelJobIds); // the old request does not follow it
        Assert.Equal(JobState.Completed, q.Succeed(again).NewState);
    }
}
