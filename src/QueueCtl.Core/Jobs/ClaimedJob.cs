namespace QueueCtl.Core.Jobs;

/// <summary>
/// A job a worker holds: what to run, plus the lease token every later write of this attempt
/// must carry (so a worker frozen past its lease cannot overwrite the attempt that replaced it).
/// </summary>
public sealed record ClaimedJob(
    string Id,
    long LeaseToken,
    int Attempt,
    string Command,
    JobShell Shell,
    string Queue,
    int Priority,
    int MaxRetries,
    int TimeoutSec,
    string? WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    DateTimeOffset StartedAt);

/// <summary>How an attempt ended, as the executor saw it.</summary>
public sealed record AttemptResult(AttemptOutcome Outcome, int? ExitCode, string? Error, string? Output)
{
    public static AttemptResult Success(string? output = null) => new(AttemptOutcome.Succeeded, 0, null, output);
}
