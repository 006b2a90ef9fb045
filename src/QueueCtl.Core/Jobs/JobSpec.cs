namespace QueueCtl.Core.Jobs;

/// <summary>
/// What a user asks to enqueue. Everything but <see cref="Command"/> is optional; unset retry and
/// timeout values follow the configuration current when the job runs.
/// <see cref="JobSpecValidator"/> checks a spec before anything is written.
/// </summary>
public sealed class JobSpec
{
    public string? Id { get; set; }
    public string Command { get; set; } = "";
    public JobShell? Shell { get; set; }
    public string? Queue { get; set; }
    public int Priority { get; set; }
    public int? MaxRetries { get; set; }
    public int? TimeoutSec { get; set; }
    /// <summary>Not before this instant. Exclusive with <see cref="Delay"/>.</summary>
    public DateTimeOffset? RunAt { get; set; }
    /// <summary>Not before now + this. Exclusive with <see cref="RunAt"/>.</summary>
    public TimeSpan? Delay { get; set; }
    /// <summary>An absolute path; front ends resolve relative paths against the caller's location.</summary>
    public string? WorkingDirectory { get; set; }
    public IDictionary<string, string>? Environment { get; set; }

    public override string ToString() => Id is null ? Command : $"{Id}: {Command}";
}

/// <summary>What to do when an enqueued id already exists.</summary>
public enum DuplicatePolicy
{
    /// <summary>Refuse the whole request (nothing is written).</summary>
    Fail,
    /// <summary>Leave the existing job alone and skip the new one.</summary>
    Skip,
}
