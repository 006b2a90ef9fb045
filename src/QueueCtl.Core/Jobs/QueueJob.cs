namespace QueueCtl.Core.Jobs;

/// <summary>A job as stored: what to run, where it stands, and how its last attempt ended.</summary>
public sealed class QueueJob
{
    public required string Id { get; init; }
    public required string Command { get; init; }
    public JobShell Shell { get; init; }
    public required string Queue { get; init; }
    public int Priority { get; init; }
    public JobState State { get; init; }
    /// <summary>Attempts started so far.</summary>
    public int Attempts { get; init; }
    /// <summary>Retries allowed after the first attempt: the job's own value, else the configured default.</summary>
    public int MaxRetries { get; init; }
    /// <summary>Per-attempt limit in seconds (0 = none): the job's own value, else the configured default.</summary>
    public int TimeoutSec { get; init; }
    public DateTimeOffset RunAt { get; init; }
    public DateTimeOffset NextRunAt { get; init; }
    public string? WorkingDirectory { get; init; }
    public IReadOnlyDictionary<string, string> Environment { get; init; } = EmptyEnvironment;
    public int? ExitCode { get; init; }
    public string? LastError { get; init; }
    /// <summary>The tail of the last attempt's stdout and stderr, up to the configured output limit.</summary>
    public string? Output { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public TimeSpan? Duration { get; init; }
    public string? WorkerId { get; init; }
    public DateTimeOffset? LeaseExpiresAt { get; init; }

    internal static readonly IReadOnlyDictionary<string, string> EmptyEnvironment =
        new Dictionary<string, string>(StringComparer.Ordinal);

    public override string ToString() => $"{Id} [{State.ToString().ToLowerInvariant()}] {Command}";
}
