using QueueCtl.Core.Config;
using QueueCtl.Core.Jobs;

namespace QueueCtl.Tests.Core;

public class BackoffTests
{
    private static QueueConfig Config(double @base = 2, int max = 3600, double jitter = 0) =>
        QueueConfig.Defaults with { BackoffBase = @base, BackoffMax = max, BackoffJitter = jitter };

    [Theory]
    [InlineData(2, 3600, 1, 2)]
    [InlineData(2, 3600, 2, 4)]
    [InlineData(2, 3600, 3, 8)]
    [InlineData(2, 3600, 11, 2048)]
    [InlineData(2, 3600, 12, 3600)]
    [InlineData(1.5, 3600, 2, 2.25)]
    [InlineData(1, 3600, 50, 1)]
    [InlineData(10, 50, 2, 50)]
    [InlineData(2, 0, 1, 0)]
    public void Delay_is_base_to_the_n_capped_at_the_maximum(double @base, int max, int n, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.Delay(Config(@base, max), n));

    [Fact]
    public void Huge_exponents_do_not_overflow_past_the_maximum()
    {
        Assert.Equal(TimeSpan.FromSeconds(31_536_000), Backoff.Delay(Config(1000, 31_536_000), 1000));
        Assert.Equal(TimeSpan.FromSeconds(3600), Backoff.Delay(Config(1000, 3600, jitter: 1), int.MaxValue, 0.999));
    }

    [Fact]
    public void Without_jitter_the_random_value_is_ignored()
    {
        Assert.Equal(TimeSpan.FromSeconds(8), Backoff.Delay(Config(), 3, 0));
        Assert.Equal(TimeSpan.FromSeconds(8), Backoff.Delay(Config(), 3, 0.99999));
    }

    [Theory]
    [InlineData(0.0, 6)]      // 8 * (1 - 0.25)
    [InlineData(0.5, 8)]
    [InlineData(0.99999, 10)] // just under 8 * (1 + 0.25)
    public void Jitter_spreads_the_delay_by_up_to_its_fraction_either_way(double random01, double seconds) =>
        Assert.Equal(seconds, Backoff.Delay(Config(jitter: 0.25), 3, random01).TotalSeconds, 3);

    [Fact]
    public void Jitter_never_goes_negative_nor_past_the_maximum()
    {
        for (var r = 0.0; r < 1; r += 0.01)
        {
            var full = Backoff.Delay(Config(jitter: 1), 2, r).TotalSeconds;
            Assert.InRange(full, 0, 8);
            var capped = Backoff.Delay(Config(max: 100, jitter: 0.5), 20, r).TotalSeconds;
            Assert.InRange(capped, 50, 100);
        }
    }

    [Theory]
    [InlineData(AttemptOutcome.Failed)]
    [InlineData(AttemptOutcome.TimedOut)]
    [InlineData(AttemptOutcome.WorkerLost)]
    public void Charged_failures_retry_while_attempts_are_within_max_retries(AttemptOutcome outcome)
    {
        var now = new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal((JobState.Failed, now.AddSeconds(2)), JobLifecycle.AfterAttempt(outcome, 1, 2, Config(), now, 0.5));
        Assert.Equal((JobState.Failed, now.AddSeconds(4)), JobLifecycle.AfterAttempt(outcome, 2, 2, Config(), now, 0.5));
        Assert.Equal((JobState.Dead, (DateTimeOffset?)null), JobLifecycle.AfterAttempt(outcome, 3, 2, Config(), now, 0.5));
        Assert.Equal((JobState.Dead, (DateTimeOffset?)null), JobLifecycle.AfterAttempt(outcome, 1, 0, Config(), now, 0.5));
    }

    [Fact]
    public void Success_cancel_and_hand_back_do_not_depend_on_retries_left()
    {
        var now = new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(JobState.Completed, JobLifecycle.AfterAttempt(AttemptOutcome.Succeeded, 9, 0, Config(), now, 0).State);
        Assert.Equal(JobState.Dead, JobLifecycle.AfterAttempt(AttemptOutcome.Cancelled, 1, 100, Config(), now, 0).State);
        Assert.Equal((JobState.Pending, (DateTimeOffset?)now), JobLifecycle.AfterAttempt(AttemptOutcome.HandedBack, 5, 0, Config(), now, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => JobLifecycle.AfterAttempt(AttemptOutcome.Running, 1, 1, Config(), now, 0));
    }

    [Fact]
    public void Every_state_and_outcome_name_round_trips()
    {
        foreach (var state in Enum.GetValues<JobState>())
            Assert.Equal(state, JobLifecycle.ParseState(JobLifecycle.StateName(state)));
        foreach (var outcome in Enum.GetValues<AttemptOutcome>())
            Assert.Equal(outcome, JobLifecycle.ParseOutcome(JobLifecycle.OutcomeName(outcome)));
        Assert.Throws<FormatException>(() => JobLifecycle.ParseState("zombie"));
    }
}
