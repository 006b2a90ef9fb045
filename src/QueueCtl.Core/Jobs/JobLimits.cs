namespace QueueCtl.Core.Jobs;

/// <summary>The bounds every front end and the store agree on. Changing one is a product decision.</summary>
public static class JobLimits
{
    public const string DefaultQueue = "default";
    public const int MaxQueueLength = 64;
    /// <summary>Linux refuses a single argument longer than 128 KiB (MAX_ARG_STRLEN); stay below it.</summary>
    public const int MaxCommandLength = 100_000;
    public const int MinPriority = -1000;
    public const int MaxPriority = 1000;
    public const int MaxRetries = 1000;
    public const int MaxTimeoutSec = 7 * 24 * 3600;
    public const int MaxEnvironmentVariables = 1000;
    public const int MaxEnvironmentValueLength = 32_768;
    public const int MaxPathLength = 4096;
    /// <summary>Scheduling further ahead than this is taken for a mistake.</summary>
    public static readonly TimeSpan MaxScheduleAhead = TimeSpan.FromDays(366 * 10);
    public static readonly DateTimeOffset EarliestRunAt = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
}
