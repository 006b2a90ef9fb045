namespace QueueCtl.Core.Jobs;

/// <summary>One attempt of a job, kept so that "why did this die?" has an answer.</summary>
public sealed class JobAttempt
{
    public required string JobId { get; init; }
    /// <summary>1 for the first attempt; restarts at 1 after a job is restored from the DLQ.</summary>
    public required int Number { get; init; }
    public required string WorkerId { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public AttemptOutcome Outcome { get; init; }
    public int? ExitCode { get; init; }
    public string? Error { get; init; }
    public TimeSpan? Duration => FinishedAt - StartedAt;

    public override string ToString() =>
        $"{JobId} #{Number} {Outcome}" + (Error is null ? "" : $": {Error}");
}
