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

    [Fact]
    public void Status_reports_average_and_p95_durations_and_recent_throughput()
    {
        using var q = new CoreQueue();
        for (var i = 1; i <= 20; i++)
        {
            q.Add($"j{i}");
            var claimed = q.MustClaim($"j{i}");
            q.Clock.Advance(TimeSpan.FromSeconds(i));
            q.Succeed(claimed);
        }
        q.Add("failing", "false");
        q.Fail(q.MustClaim("failing")); // failures count toward throughput, not toward durations

        var status = q.Queue.GetStatus();
        Assert.Equal(TimeSpan.FromSeconds(10.5), status.AverageDuration);
        Assert.Equal(TimeSpan.FromSeconds(19), status.P95Duration);
        // Throughput: attempts finished in the last minute, per second (the clock moved 210 s in all).
        var now = q.Clock.UtcNow;
        var recent = q.Queue.ListJobs().Count(j => j.FinishedAt >= now.AddMinutes(-1));
        Assert.Equal(recent / 60.0, status.Throughput, 6);
        Assert.True(recent is > 1 and < 21, $"{recent}");
        Assert.Equal(20, status.Completed);
        Assert.Equal(1, status.Failed);
    }

    [Fact]
    public void Recent_throughput_counts_the_ends_of_the_last_minute_however_long_ago_each_attempt_started()
    {
        using var q = new CoreQueue();
        q.Add("long", maxRetries: 0);
        var longJob = q.MustClaim("long");
        q.Add("lost", maxRetries: 0);
        q.MustClaim("lost", "w2");
        // Five minutes of short jobs, one every 10 s, end while the first two still run.
        for (var i = 0; i < 30; i++)
        {
            q.Add($"s{i}");
            q.Succeed(q.MustClaim($"s{i}"));
            q.Clock.Advance(TimeSpan.FromSeconds(10));
        }
        q.Fail(longJob);
        q.Clock.Advance(TimeSpan.FromMinutes(10)); // past w2's lease: its attempt ends as lost
        Assert.True(q.Store.FailLostAttempt(Assert.Single(q.Store.FindExpiredLeases()), q.Store.GetConfig()));
        Assert.Equal(1 / 60.0, q.Queue.GetStatus().Throughput, 6);

        q.Clock.Advance(TimeSpan.FromSeconds(30));
        q.Add("last");
        q.Succeed(q.MustClaim("last"));
        Assert.Equal(2 / 60.0, q.Queue.GetStatus().Throughput, 6); // the lost attempt and "last"
        Assert.Equal(AttemptOutcome.WorkerLost, Assert.Single(q.Queue.GetAttempts("lost")).Outcome);
    }

    [Fact]
    public void A_negative_limit_is_refused_rather_than_read_as_no_limit()
    {
        using var q = new CoreQueue();
        for (var i = 0; i < 5; i++) q.Add($"j{i}");
        // SQLite reads LIMIT -1 as "no limit": a remove meant to touch a few jobs would delete them all.
        var e = Assert.Throws<QueueException>(() => q.Queue.RemoveJobs(new JobFilter { Limit = -1 }));
        Assert.Equal(QueueErrorKind.InvalidInput, e.Kind);
        Assert.Equal("InvalidLimit", e.ErrorId);
        Assert.Contains("-1", e.Message);
        Assert.Equal(5, q.Count());
        Assert.Equal("InvalidLimit", Assert.Throws<QueueException>(() => q.Queue.ListJobs(new JobFilter { Limit = -3 })).ErrorId);
        Assert.Empty(q.Queue.ListJobs(new JobFilter { Limit = 0 }));
        Assert.Equal(2, q.Queue.RemoveJobs(new JobFilter { Limit = 2 }).Removed);
        Assert.Equal(["j2", "j3", "j4"], q.Queue.ListJobs().Select(j => j.Id).ToArray());
    }
}
