using QueueCtl.Core.Config;

namespace QueueCtl.Core.Jobs;

/// <summary>Retry delays: after the n-th failed attempt, min(backoff_base^n, backoff_max) seconds, spread by jitter.</summary>
public static class Backoff
{
    /// <param name="failedAttempt">n, counting from 1.</param>
    /// <param name="random01">A uniform value in [0, 1); only used when jitter is set.</param>
    public static TimeSpan Delay(QueueConfig config, int failedAttempt, double random01 = 0.5)
    {
        var seconds = Math.Min(Math.Pow(config.BackoffBase, Math.Max(1, failedAttempt)), config.BackoffMax);
        if (config.BackoffJitter > 0)
            seconds = Math.Clamp(seconds * (1 + config.BackoffJitter * (2 * random01 - 1)), 0, config.BackoffMax);
        return TimeSpan.FromSeconds(seconds);
    }
}
