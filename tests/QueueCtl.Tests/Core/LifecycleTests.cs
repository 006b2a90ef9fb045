using Microsoft.Data.Sqlite;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Storage;
using QueueCtl.Core.Workers;

namespace QueueCtl.Tests.Core;

/// <summary>DESIGN.md's lifecycle, transition by transition, against a real SQLite file and a fake clock.</summary>
public class LifecycleTests
{
    [Fact]
    public void Enqueued_job_is_pending_and_claiming_makes_it_processing_under_a_lease()
    {
        using var q = new CoreQueue();
        q.Queue.SetConfig("lease_seconds", "45");
        var added = q.Add("a", "echo hi");
        Assert.Equal(JobState.Pending, added.State);
        Assert.Equal(0, added.Attempts);
        Assert.Equal(CoreQueue.Start, added.CreatedAt);
        Assert.Equal(CoreQueue.Start, added.NextRunAt);

        q.Clock.Advance(TimeSpan.FromSeconds(3));
        var claimed = q.MustClaim("a");
        Assert.Equal(1, claimed.Attempt);
        Assert.Equal("echo hi", claimed.Command);

        var job = q.Queue.GetJob("a");
        Assert.Equal(JobState.Processing, job.State);
        Assert.Equal(1, job.Attempts);
        Assert.Equal("w1", job.WorkerId);
        Assert.Equal(CoreQueue.Start.AddSeconds(3), job.StartedAt);
        Assert.Equal(CoreQueue.Start.AddSeconds(48), job.LeaseExpiresAt);
        Assert.Null(q.ClaimOne("w2")); // nobody else gets it
    }

    [Fact]
    public void Exit_zero_completes_and_records_exit_code_output_and_duration()
    {
        using var q = new CoreQueue();
        q.Add("a");
        var claimed = q.MustClaim("a");
        q.Clock.Advance(TimeSpan.FromMilliseconds(1500));
        var finish = q.Succeed(claimed, "hello\n");
        Assert.True(finish.Applied);
        Assert.Equal(JobState.Completed, finish.NewState);

        var job = q.Queue.GetJob("a");
        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal(0, job.ExitCode);
        Assert.Null(job.LastError);
        Assert.Equal("hello\n", job.Output);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), job.Duration);
        Assert.Equal(CoreQueue.Start.AddMilliseconds(1500), job.FinishedAt);
        Assert.Null(job.LeaseExpiresAt);
        Assert.Null(q.ClaimOne()); // completed jobs are never claimed again
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void Max_retries_counts_retries_after_the_first_attempt(int maxRetries)
    {
        using var q = new CoreQueue();
        q.Queue.SetConfig("max_retries", maxRetries.ToString(System.Globalization.CultureInfo.InvariantCulture));
        q.Queue.SetConfig("backoff_base", "2");
        q.Add("a", "false");

        for (var attempt = 1; attempt <= maxRetries + 1; attempt++)
        {
            var claimed = q.MustClaim("a");
            Assert.Equal(attempt, claimed.Attempt);
            var finish = q.Fail(claimed);
            Assert.True(finish.Applied);
            var job = q.Queue.GetJob("a");
            Assert.Equal(attempt, job.Attempts);
            if (attempt <= maxRetries)
            {
                Assert.Equal(JobState.Failed, job.State);
                Assert.Equal(JobState.Failed, finish.NewState);
                q.Clock.UtcNow = job.NextRunAt; // due again
            }
            else
            {
                Assert.Equal(JobState.Dead, job.State);
                Assert.Equal(1, job.ExitCode);
                Assert.Equal("exit code 1", job.LastError);
            }
        }
        q.Clock.Advance(TimeSpan.FromDays(30));
        Assert.Null(q.ClaimOne()); // at most 1 + max_retries attempts
        Assert.Equal(maxRetries + 1, q.Queue.GetAttempts("a").Count);
    }

    [Fact]
    public void Failed_job_is_not_claimed_before_its_backoff_and_is_claimed_when_due()
    {
        using var q = new CoreQueue();
        q.Queue.SetConfig("backoff_base", "3");
        q.Add("a", "false");
        q.Fail(q.MustClaim("a"));
        var job = q.Queue.GetJob("a");
        Assert.Equal(CoreQueue.Start.AddSeconds(3), job.NextRunAt);

        q.Clock.Advance(TimeSpan.FromSeconds(3) - TimeSpan.FromMilliseconds(1));
        Assert.Null(q.ClaimOne());
        q.Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, q.MustClaim("a").Attempt);
    }

    [Fact]
    public void Delay_after_the_nth_failure_is_base_to_the_n_capped_at_backoff_max()
    {
        using var q = new CoreQueue();
        q.Queue.SetConfig("max_retries", "10");
        q.Queue.SetConfig("backoff_base", "3");
        q.Queue.SetConfig("backoff_max", "100");
        q.Add("a", "false");
        double[] expected = [3, 9, 27, 81, 100, 100];
        for (var n = 1; n <= expected.Length; n++)
        {
            var claimed = q.MustClaim("a");
            Assert.Equal(n, claimed.Attempt);
            var failedAt = q.Clock.UtcNow;
            var finish = q.Fail(claimed);
            Assert.Equal(failedAt.AddSeconds(expected[n - 1]), finish.RetryAt);
            Assert.Equal(failedAt.AddSeconds(expected[n - 1]), q.Queue.GetJob("a").NextRunAt);
            q.Clock.UtcNow = failedAt.AddSeconds(expected[n - 1]);
        }
    }

    [Fact]
    public void Jittered_retry_delays_stay_within_the_configured_spread()
    {
        using var q = new CoreQueue();
        q.Queue.SetConfig("max_retries", "1000");
        q.Queue.SetConfig("backoff_base", "2");
        q.Queue.SetConfig("backoff_jitter", "0.25");
        q.Add("a", "false");
        var delays = new List<double>();
        for (var i = 0; i < 40; i++)
        {
            var claimed = q.MustClaim("a");
            var failedAt = q.Clock.UtcNow;
            var finish = q.Fail(claimed);
            var nominal = Math.Min(Math.Pow(2, claimed.Attempt), 3600);
            var delay = (finish.RetryAt!.Value - failedAt).TotalSeconds;
            Assert.InRange(delay, nominal * 0.75 - 0.001, Math.Min(nominal * 1.25, 3600) + 0.001);
            delays.Add(delay / nominal);
            q.Clock.UtcNow = finish.RetryAt.Value;
        }
        // Jitter actually spreads: not every sample sits on the nominal delay.
        Assert.True(delays.Distinct().Count() > 1, string.Join(", ", delays));
    }

    [Fact]
    public void Job_max_retries_and_timeout_override_the_configuration()
    {
        using var q = new CoreQueue();
        q.Queue.SetConfig("max_retries", "5");
        q.Queue.SetConfig("job_timeout", "9");
        q.Add("own", "false", maxRetries: 1, timeoutSec: 4);
        q.Add("defaults", "false");

        var own = q.MustClaim("own");
        Assert.Equal(1, own.MaxRetries);
        Assert.Equal(4, own.TimeoutSec);
        var defaults = q.MustClaim("defaults");
        Assert.Equal(5, defaults.MaxRetries);
        Assert.Equal(9, defaults.TimeoutSec);

        q.Fail(own);
        q.Clock.Advance(TimeSpan.FromMinutes(5));
        q.Fail(q.MustClaim("own"));
        Assert.Equal(JobState.Dead, q.Queue.GetJob("own").State); // 1 + 1 attempts, not 1 + 5
        Assert.Equal(2, q.Queue.GetJob("own").Attempts);
    }

    [Fact]
    public void Configuration_changes_are_seen_by_the_next_claim()
    {
        using var q = new CoreQueue();
        q.Add("a", "false");
        q.Add("b", "false");
        var a = q.MustClaim("a");
        Assert.Equal(3, a.MaxRetries);
        Assert.Equal(0, a.TimeoutSec);

        q.Queue.SetConfig("max-retries", "0");
        q.Queue.SetConfig("job_timeout", "12");
        var b = q.MustClaim("b");
        Assert.Equal(0, b.MaxRetries);
        Assert.Equal(12, b.TimeoutSec);
        Assert.Equal(JobState.Dead, q.Fail(b).NewState); // no retries left under the new value
        Assert.Equal(0, q.Queue.GetJob("b").MaxRetries);
    }

    [Fact]
    public void Higher_priority_runs_first_and_ties_run_in_enqueue_order()
    {
        using var q = new CoreQueue();
        q.Add("low1", priority: 0);
        q.Add("high1", priority: 5);
        q.Add("neg", priority: -3);
        q.Add("high2", priority: 5);
        q.Add("low2", priority: 0);
        q.Add("top", priority: 1000);

        string[] expected = ["top", "high1", "high2", "low1", "low2", "neg"];
        Assert.Equal(expected, expected.Select(_ => q.ClaimOne()!.Id).ToArray());
    }

    [Fact]
    public void A_batch_claim_hands_jobs_out_in_priority_then_enqueue_order()
    {
        using var q = new CoreQueue();
        for (var i = 0; i < 20; i++) q.Add($"j{i:00}", priority: i % 3);
        var claimed = q.Store.Claim("w1", [], 7, q.Store.GetConfig());
        Assert.Equal(["j02", "j05", "j08", "j11", "j14", "j17", "j01"], claimed.Select(c => c.Id).ToArray());
        Assert.Single(claimed.Select(c => c.LeaseToken).Distinct()); // one claim, one statement, one token
    }

    [Fact]
    public void Workers_only_claim_from_the_queues_they_serve()
    {
        using var q = new CoreQueue();
        q.Queue.Enqueue(new JobSpec { Id = "img", Command = "true", Queue = "images", Priority = 9 });
        q.Queue.Enqueue(new JobSpec { Id = "mail", Command = "true", Queue = "mail" });
        Assert.Equal("mail", Assert.Single(q.Store.Claim("w1", ["mail"], 5, q.Store.GetConfig())).Id);
        Assert.Empty(q.Store.Claim("w1", ["mail", "other"], 5, q.Store.GetConfig()));
        Assert.Equal("img", Assert.Single(q.Store.Claim("w2", [], 5, q.Store.GetConfig())).Id);
    }

    [Fact]
    public void Scheduled_jobs_are_not_claimed_before_their_time()
    {
        using var q = new CoreQueue();
        var at = CoreQueue.Start.AddMinutes(10);
        q.Queue.Enqueue(new JobSpec { Id = "at", Command = "true", RunAt = at, Priority = 10 });
        q.Queue.Enqueue(new JobSpec { Id = "delayed", Command = "true", Delay = TimeSpan.FromSeconds(30), Priority = 5 });
        q.Queue.Enqueue(new JobSpec { Id = "past", Command = "true", RunAt = CoreQueue.Start.AddDays(-3) });
        Assert.Equal(at, q.Queue.GetJob("at").RunAt);
        Assert.Equal(CoreQueue.Start.AddSeconds(30), q.Queue.GetJob("delayed").NextRunAt);
        Assert.Equal(2, q.Queue.GetStatus().Scheduled);

        q.MustClaim("past");
        Assert.Null(q.ClaimOne());
        q.Clock.Advance(TimeSpan.FromSeconds(29.999));
        Assert.Null(q.ClaimOne());
        q.Clock.Advance(TimeSpan.FromMilliseconds(1));
        q.MustClaim("delayed");
        q.Clock.UtcNow = at.AddMilliseconds(-1);
        Assert.Null(q.ClaimOne());
        q.Clock.UtcNow = at;
        q.MustClaim("at");
    }

    [Fact]
    public void Run_at_in_another_offset_is_stored_as_the_same_instant()
    {
        using var q = new CoreQueue();
        var local = new DateTimeOffset(2031, 3, 4, 12, 0, 0, TimeSpan.FromHours(5)); // 07:00 UTC
        q.Queue.Enqueue(new JobSpec { Id = "a", Command = "true", RunAt = local });
        Assert.Equal(local, q.Queue.GetJob("a").RunAt);
        q.Clock.UtcNow = new DateTimeOffset(2031, 3, 4, 6, 59, 59, TimeSpan.Zero);
        Assert.Null(q.ClaimOne());
        q.Clock.UtcNow = new DateTimeOffset(2031, 3, 4, 7, 0, 0, TimeSpan.Zero);
        q.MustClaim("a");
    }

    [Fact]
    public void Every_attempt_keeps_a_row_with_its_outcome()
    {
        using var q = new CoreQueue();
        q.Queue.SetConfig("max_retries", "3");
        q.Add("a", "flaky");
        q.Clock.Advance(TimeSpan.FromSeconds(1));
        var first = q.MustClaim("a", "w1");
        q.Clock.Advance(TimeSpan.FromSeconds(2));
        q.Fail(first, exitCode: 7);
        q.Clock.Advance(TimeSpan.FromMinutes(1));
        var second = q.MustClaim("a", "w2");
        q.Finish(second, new AttemptResult(AttemptOutcome.TimedOut, 143, "timeout: still running after 1 s", "partial"), "w2");
        q.Clock.Advance(TimeSpan.FromMinutes(1));
        var third = q.MustClaim("a", "w1");
        q.Clock.Advance(TimeSpan.FromMilliseconds(250));
        q.Succeed(third, "ok");

        var attempts = q.Queue.GetAttempts("a");
        Assert.Equal([1, 2, 3], attempts.Select(a => a.Number).ToArray());
        Assert.Equal(["w1", "w2", "w1"], attempts.Select(a => a.WorkerId).ToArray());
        Assert.Equal([AttemptOutcome.Failed, AttemptOutcome.TimedOut, AttemptOutcome.Succeeded], attempts.Select(a => a.Outcome).ToArray());
        Assert.Equal([7, 143, 0], attempts.Select(a => a.ExitCode).ToArray());
        Assert.Equal("exit code 7", attempts[0].Error);
        Assert.StartsWith("timeout", attempts[1].Error);
        Assert.Null(attempts[2].Error);
        Assert.Equal(CoreQueue.Start.AddSeconds(1), attempts[0].StartedAt);
        Assert.Equal(TimeSpan.FromSeconds(2), attempts[0].Duration);
        Assert.Equal(TimeSpan.FromMilliseconds(250), attempts[2].Duration);

        var job = q.Queue.GetJob("a");
        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal(3, job.Attempts);
        Assert.Equal("ok", job.Output);
    }

    [Fact]
    public void A_running_attempt_shows_as_running_in_history()
    {
        using var q = new CoreQueue();
        q.Add("a");
        q.MustClaim("a");
        var attempt = Assert.Single(q.Queue.GetAttempts("a"));
        Assert.Equal(AttemptOutcome.Running, attempt.Outcome);
        Assert.Null(attempt.FinishedAt);
        Assert.Empty(q.Queue.GetAttempts(q.Add("never").Id));
    }

    [Fact]
    public void Restoring_a_dead_job_resets_its_attempts_and_keeps_its_history()
    {
        using var q = new CoreQueue();
        q.Add("a", "false", maxRetries: 1);
        q.Fail(q.MustClaim("a"), exitCode: 3);
        q.Clock.Advance(TimeSpan.FromMinutes(1));
        q.Fail(q.MustClaim("a"), exitCode: 4);
        Assert.Equal(JobState.Dead, q.Queue.GetJob("a").State);

        q.Clock.Advance(TimeSpan.FromHours(1));
        var restored = q.Queue.RestoreDeadJob("a");
        Assert.Equal(JobState.Pending, restored.State);
        Assert.Equal(0, restored.Attempts);
        Assert.Equal(q.Clock.UtcNow, restored.NextRunAt);
        Assert.Equal("exit code 4", restored.LastError); // the error stays visible
        Assert.Equal(2, q.Queue.GetAttempts("a").Count);

        var again = q.MustClaim("a");
        Assert.Equal(1, again.Attempt); // a fresh set of retries
        q.Succeed(again);
        var history = q.Queue.GetAttempts("a");
        Assert.Equal([1, 2, 1], history.Select(h => h.Number).ToArray());
        Assert.Equal([3, 4, 0], history.Select(h => h.ExitCode).ToArray());
    }

    [Fact]
    public void Only_dead_jobs_can_be_restored()
    {
        using var q = new CoreQueue();
        q.Add("pending");
        var e = Assert.Throws<QueueException>(() => q.Queue.RestoreDeadJob("pending"));
        Assert.Equal(QueueErrorKind.Conflict, e.Kind);
        Assert.Equal("JobNotDead", e.ErrorId);
        Assert.Contains("pending", e.Message);
        Assert.Equal(JobState.Pending, q.Queue.GetJob("pending").State);

        var missing = Assert.Throws<QueueException>(() => q.Queue.RestoreDeadJob("ghost"));
        Assert.Equal(QueueErrorKind.NotFound, missing.Kind);
        Assert.Equal("JobNotFound", missing.ErrorId);
        Assert.Equal(1, q.Count());
    }

    [Fact]
    public void Restore_all_moves_every_dead_job_of_a_queue_back()
    {
        using var q = new CoreQueue();
        q.Queue.SetConfig("max_retries", "0");
        q.Queue.Enqueue(new JobSpec { Id = "a", Command = "false", Queue = "x" });
        q.Queue.Enqueue(new JobSpec { Id = "b", Command = "false", Queue = "y" });
        q.Queue.Enqueue(new JobSpec { Id = "c", Command = "true", Queue = "x" });
        q.Fail(q.MustClaim("a"));
        q.Fail(q.MustClaim("b"));
        q.Succeed(q.MustClaim("c"));

        Assert.Equal(1, q.Queue.RestoreAllDeadJobs("x"));
        Assert.Equal(JobState.Pending, q.Queue.GetJob("a").State);
        Assert.Equal(JobState.Dead, q.Queue.GetJob("b").State);
        Assert.Equal(JobState.Completed, q.Queue.GetJob("c").State);
        Assert.Equal(1, q.Queue.RestoreAllDeadJobs());
        Assert.Equal(JobState.Pending, q.Queue.GetJob("b").State);
        Assert.Equal(0, q.Queue.RestoreAllDeadJobs());
    }

    [Fact]
    public void Stopping_a_waiting_job_parks_it_in_the_dead_letter_queue()
    {
        using var q = new CoreQueue();
        q.Add("retrying", "false");
        q.Fail(q.MustClaim("retrying"));
        q.Add("pending");
        Assert.Equal(JobState.Failed, q.Queue.GetJob("retrying").State);

        foreach (var id in new[] { "pending", "retrying" })
        {
            var stopped = q.Queue.StopJob(id);
            Assert.Equal(JobState.Dead, stopped.State);
            Assert.Equal("cancelled by user", stopped.LastError);
        }
        q.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Null(q.ClaimOne());
        Assert.Single(q.Queue.GetAttempts("retrying")); // cancelling a waiting job runs nothing
        Assert.Equal(JobState.Dead, q.Queue.StopJob("pending").State); // stopping twice is harmless
    }

    [Fact]
    public void Stopping_a_running_job_asks_its_worker_and_its_outcome_is_cancelled()
    {
        using var q = new CoreQueue();
        q.Add("run", "sleep 100", maxRetries: 5);
        var claimed = q.MustClaim("run", "w1");
        Assert.Empty(q.Store.ReadControl("w1").CancelJobIds);

        var stopped = q.Queue.StopJob("run");
        Assert.Equal(JobState.Processing, stopped.State); // its worker ends it
        Assert.Equal(["run"], q.Store.ReadControl("w1").CancelJobIds);
        Assert.Empty(q.Store.ReadControl("w2").CancelJobIds);

        var finish = q.Finish(claimed, new AttemptResult(AttemptOutcome.Cancelled, 143, "cancelled by user", null));
        Assert.Equal(JobState.Dead, finish.NewState); // not retried, though retries remain
        var job = q.Queue.GetJob("run");
        Assert.Equal(JobState.Dead, job.State);
        Assert.Equal("cancelled by user", job.LastError);
        Assert.Equal(AttemptOutcome.Cancelled, Assert.Single(q.Queue.GetAttempts("run")).Outcome);
        Assert.Empty(q.Store.ReadControl("w1").CancelJobIds);
    }

    [Fact]
    public void Stopping_a_finished_or_missing_job_is_refused()
    {
        using var q = new CoreQueue();
        q.Add("done");
        q.Succeed(q.MustClaim("done"));
        var e = Assert.Throws<QueueException>(() => q.Queue.StopJob("done"));
        Assert.Equal(QueueErrorKind.Conflict, e.Kind);
        Assert.Equal("JobAlreadyFinished", e.ErrorId);
        Assert.Equal(JobState.Completed, q.Queue.GetJob("done").State);

        q.Add("dead", "false", maxRetries: 0);
        q.Fail(q.MustClaim("dead"));
        Assert.Equal("JobAlreadyFinished", Assert.Throws<QueueException>(() => q.Queue.StopJob("dead")).ErrorId);
        Assert.Equal("exit code 1", q.Queue.GetJob("dead").LastError);

        Assert.Equal(QueueErrorKind.NotFound, Assert.Throws<QueueException>(() => q.Queue.StopJob("ghost")).Kind);
    }

    [Fact]
    public void Remove_never_deletes_a_running_job()
    {
        using var q = new CoreQueue();
        q.Add("running");
        q.Add("done");
        q.Add("waiting");
        q.MustClaim("running");
        q.Succeed(q.MustClaim("done"));

        var (removed, running) = q.Queue.RemoveJobs(new JobFilter { Ids = ["running", "done"] });
        Assert.Equal(1, removed);
        Assert.Equal(1, running);
        Assert.Equal(JobState.Processing, q.Queue.GetJob("running").State);
        Assert.Null(q.Queue.FindJob("done"));
        Assert.Equal(0L, Convert.ToInt64(q.Scalar("SELECT count(*) FROM attempts WHERE job_id = 'done'")));

        (removed, running) = q.Queue.RemoveJobs(JobFilter.All);
        Assert.Equal((1, 1), (removed, running));
        Assert.Equal(["running"], q.Queue.ListJobs().Select(j => j.Id).ToArray());
        Assert.Single(q.Queue.GetAttempts("running"));
    }

    [Fact]
    public void Remove_by_state_and_age_touches_only_what_matches()
    {
        using var q = new CoreQueue();
        q.Add("old-done");
        q.Succeed(q.MustClaim("old-done"));
        q.Clock.Advance(TimeSpan.FromDays(8));
        q.Add("new-done");
        q.Succeed(q.MustClaim("new-done"));
        q.Add("old-pending");

        var (removed, _) = q.Queue.RemoveJobs(new JobFilter { States = [JobState.Completed], UpdatedBefore = q.Clock.UtcNow.AddDays(-7) });
        Assert.Equal(1, removed);
        Assert.Equal(["new-done", "old-pending"], q.Queue.ListJobs().Select(j => j.Id).ToArray());
    }

    [Fact]
    public void An_outcome_written_with_an_old_lease_token_changes_nothing()
    {
        using var q = new CoreQueue();
        q.Queue.SetConfig("lease_seconds", "10");
        q.Add("a", "work");
        var stale = q.MustClaim("a", "frozen");

        // The frozen worker's lease runs out; another worker reaps the attempt.
        q.Clock.Advance(TimeSpan.FromSeconds(10.001));
        var lease = Assert.Single(q.Store.FindExpiredLeases());
        Assert.Equal(("a", stale.LeaseToken, 1, "frozen"), (lease.JobId, lease.LeaseToken, lease.Attempt, lease.WorkerId));
        Assert.True(q.Store.FailLostAttempt(lease, q.Store.GetConfig()));
        var reaped = q.Queue.GetJob("a");
        Assert.Equal(JobState.Failed, reaped.State);

        // The frozen worker wakes and reports success: refused.
        var late = q.Finish(stale, AttemptResult.Success("late"), "frozen");
        Assert.False(late.Applied);
        Assert.False(q.Store.RecordProcess(stale, 12345));
        var afterLate = q.Queue.GetJob("a");
        Assert.Equal(JobState.Failed, afterLate.State);
        Assert.Null(afterLate.Output);
        Assert.StartsWith("worker lost", afterLate.LastError);

        // The job is claimed again; the stale token still cannot touch the new attempt.
        q.Clock.UtcNow = afterLate.NextRunAt;
        var fresh = q.MustClaim("a", "w2");
        Assert.NotEqual(stale.LeaseToken, fresh.LeaseToken);
        Assert.Equal(2, fresh.Attempt);
        Assert.False(q.Finish(stale, new AttemptResult(AttemptOutcome.Failed, 1, "late failure", null), "frozen").Applied);
        Assert.Equal(JobState.Processing, q.Queue.GetJob("a").State);
        Assert.Equal("w2", q.Queue.GetJob("a").WorkerId);

        Assert.True(q.Finish(fresh, AttemptResult.Success("fresh"), "w2").Applied);
        var attempts = q.Queue.GetAttempts("a");
        Assert.Equal([AttemptOutcome.WorkerLost, AttemptOutcome.Succeeded], attempts.Select(x => x.Outcome).ToArray());
        Assert.Equal(["frozen", "w2"], attempts.Select(x => x.WorkerId).ToArray());
        Assert.Equal("fresh", q.Queue.GetJob("a").Output);
    }

    [Fact]
    public void A_lost_worker_is_charged_an_attempt_and_the_retry_policy_applies()
    {
        using var q = new CoreQueue();
        q.Queue.SetConfig("lease_seconds", "5");
        q.Add("once", maxRetries: 0);
        q.Add("twice", maxRetries: 1);
        q.MustClaim("once");
        q.MustClaim("twice");
        Assert.Empty(q.Store.FindExpiredLeases()); // not before the lease runs out
        q.Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(q.Store.FindExpiredLeases());
        q.Clock.Advance(TimeSpan.FromMilliseconds(1));

        var leases = q.Store.FindExpiredLeases();
        Assert.Equal(2, leases.Count);
        foreach (var lease in leases) Assert.True(q.Store.FailLostAttempt(lease, q.Store.GetConfig()));
        foreach (var lease in leases) Assert.False(q.Store.FailLostAttempt(lease, q.Store.GetConfig())); // charged once

        var once = q.Queue.GetJob("once");
        Assert.Equal(JobState.Dead, once.State);
        Assert.Equal(1, once.Attempts);
        Assert.StartsWith("worker lost", once.LastError);
        var twice = q.Queue.GetJob("twice");
        Assert.Equal(JobState.Failed, twice.State);
        Assert.Equal(q.Clock.UtcNow.AddSeconds(2), twice.NextRunAt);
        var attempt = Assert.Single(q.Queue.GetAttempts("twice"));
        Assert.Equal(AttemptOutcome.WorkerLost, attempt.Outcome);
        Assert.StartsWith("worker lost", attempt.Error);
        Assert.Empty(q.Store.FindExpiredLeases());
    }

    [Fact]
    public void A_heartbeat_renews_the_lease_so_the_job_is_not_reaped()
    {
        using var q = new CoreQueue();
        q.Queue.SetConfig("lease_seconds", "5");
        q.Add("a");
        q.MustClaim("a", "slow");
        q.Clock.Advance(TimeSpan.FromSeconds(6));
        var lease = Assert.Single(q.Store.FindExpiredLeases());
        q.Store.Heartbeat("slow", 5); // it renewed between the reaper's look and its write
        Assert.False(q.Store.FailLostAttempt(lease, q.Store.GetConfig()));
        var job = q.Queue.GetJob("a");
        Assert.Equal(JobState.Processing, job.State);
        Assert.Equal(q.Clock.UtcNow.AddSeconds(5), job.LeaseExpiresAt);
        Assert.Equal(AttemptOutcome.Running, Assert.Single(q.Queue.GetAttempts("a")).Outcome);
    }

    [Fact]
    public void A_handed_back_job_is_pending_again_without_being_charged()
    {
        using var q = new CoreQueue();
        q.Add("a", "sleep 100", maxRetries: 0);
        var claimed = q.MustClaim("a", "leaving");
        var finish = q.Finish(claimed, new AttemptResult(AttemptOutcome.HandedBack, 143, "ended before it finished", null), "leaving");
        Assert.Equal(JobState.Pending, finish.NewState);

        var job = q.Queue.GetJob("a");
        Assert.Equal(JobState.Pending, job.State);
        Assert.Equal(0, job.Attempts);
        Assert.Null(job.WorkerId);
        Assert.Equal(AttemptOutcome.HandedBack, Assert.Single(q.Queue.GetAttempts("a")).Outcome);

        var again = q.MustClaim("a", "next"); // at once, and with its single attempt still available
        Assert.Equal(1, again.Attempt);
        Assert.Equal(JobState.Completed, q.Succeed(again, null).NewState);
    }

    [Fact]
    public void Marking_a_dead_worker_lost_expires_its_leases_at_once()
    {
        using var q = new CoreQueue();
        q.Store.RegisterWorker(new QueueWorker { Id = "dead-worker", Host = "h", ProcessId = 42, Slots = 1 }, null, null);
        q.Add("a");
        q.MustClaim("a", "dead-worker");
        Assert.Empty(q.Store.FindExpiredLeases());
        q.Store.MarkWorkerLost("dead-worker");
        var lease = Assert.Single(q.Store.FindExpiredLeases());
        Assert.Equal("h", lease.Host);
        Assert.True(q.Store.FailLostAttempt(lease, q.Store.GetConfig()));
        Assert.Equal(JobState.Failed, q.Queue.GetJob("a").State);
        Assert.Equal(WorkerState.Lost, q.Queue.ListWorkers(includeStopped: true).Single().State);
    }

    [Fact]
    public void Workers_that_stopped_heartbeating_are_marked_lost_and_looking_for_them_takes_no_write_lock()
    {
        using var q = new CoreQueue();
        q.Store.RegisterWorker(new QueueWorker { Id = "silent", Host = "far", ProcessId = 7, Slots = 1 }, null, null);
        q.Clock.Advance(TimeSpan.FromMinutes(5));
        q.Store.RegisterWorker(new QueueWorker { Id = "beating", Host = "far", ProcessId = 8, Slots = 1 }, null, null);

        // Every worker looks at its start and at each heartbeat, and nearly always finds none:
        // that look must not wait for (or hold up) a writer.
        using (var holder = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = q.DatabasePath, Pooling = false }.ToString()))
        {
            holder.Open();
            using (var begin = holder.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE";
                begin.ExecuteNonQuery();
            }
            using var looker = SqliteQueueStore.Open(q.DatabasePath, q.Clock, new StoreOptions { BusyTimeout = TimeSpan.FromMilliseconds(200) });
            looker.MarkSilentWorkersLost(TimeSpan.FromMinutes(10)); // none silent that long: no Busy
            var busy = Assert.Throws<QueueException>(() => looker.MarkSilentWorkersLost(TimeSpan.FromMinutes(1))); // one is: it must write
            Assert.Equal(QueueErrorKind.Busy, busy.Kind);
        }

        q.Store.MarkSilentWorkersLost(TimeSpan.FromMinutes(1));
        var states = q.Queue.ListWorkers(includeStopped: true).ToDictionary(w => w.Id, w => w.State);
        Assert.Equal(WorkerState.Lost, states["silent"]);
        Assert.Equal(WorkerState.Running, states["beating"]);
    }

    [Fact]
    public void Status_counts_every_state_per_queue()
    {
        using var q = new CoreQueue();
        q.Add("p");
        q.Queue.Enqueue(new JobSpec { Id = "s", Command = "true", Delay = TimeSpan.FromHours(1), Queue = "later" });
        q.Add("r");
        q.Add("c");
        q.Add("d", maxRetries: 0);
        q.Add("f", maxRetries: 2);
        q.MustClaim("p");
        q.Succeed(q.MustClaim("r"));
        q.Fail(q.MustClaim("c"));
        q.Fail(q.MustClaim("d"));
        var status = q.Queue.GetStatus();
        // pending: s and f (s is also scheduled); scheduled: s, and c waiting for its retry.
        Assert.Equal((2, 2, 1, 1, 1, 1), ((int)status.Pending, (int)status.Scheduled, (int)status.Processing, (int)status.Completed, (int)status.Failed, (int)status.Dead));
        Assert.Equal(["default", "later"], status.Queues.Select(x => x.Queue).ToArray());
        Assert.Equal(6, status.Total);
    }
}
