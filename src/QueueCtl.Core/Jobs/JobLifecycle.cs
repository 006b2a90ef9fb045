using QueueCtl.Core.Config;

namespace QueueCtl.Core.Jobs;

/// <summary>
/// The lifecycle rules of DESIGN.md in one place: what state an attempt's outcome leads to.
/// The SQL that applies them sits beside it in Storage/SqliteQueueStore.Lifecycle.cs.
/// </summary>
public static class JobLifecycle
{
    public static string StateName(JobState state) => state switch
    {
        JobState.Pending => "pending",
        JobState.Processing => "processing",
        JobState.Completed => "completed",
        JobState.Failed => "failed",
        JobState.Dead => "dead",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    public static JobState ParseState(string name) => name switch
    {
        "pending" => JobState.Pending,
        "processing" => JobState.Processing,
        "completed" => JobState.Completed,
        "failed" => JobState.Failed,
        "dead" => JobState.Dead,
        _ => throw new FormatException($"Unknown job state '{name}' in the database."),
    };

    /// <summary>
    /// Parses a state name given by a person (any case). Throws an InvalidInput QueueException
    /// listing the known states, so every front end refuses unknown states the same way.
    /// </summary>
    public static JobState ParseStateName(string? name)
    {
        var normalized = (name ?? "").Trim().ToLowerInvariant();
        foreach (var state in Enum.GetValues<JobState>())
            if (StateName(state) == normalized) return state;
        throw new Errors.QueueException(Errors.QueueErrorKind.InvalidInput, "UnknownState",
            $"There is no job state {JobId.Quote(name)}. States: {string.Join(", ", Enum.GetValues<JobState>().Select(StateName))}.", name);
    }

    public static string OutcomeName(AttemptOutcome outcome) => outcome switch
    {
        AttemptOutcome.Running => "running",
        AttemptOutcome.Succeeded => "succeeded",
        AttemptOutcome.Failed => "failed",
        AttemptOutcome.TimedOut => "timed_out",
        AttemptOutcome.WorkerLost => "worker_lost",
        AttemptOutcome.Cancelled => "cancelled",
        AttemptOutcome.HandedBack => "handed_back",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome)),
    };

    public static AttemptOutcome ParseOutcome(string name) =>
        Enum.GetValues<AttemptOutcome>().First(o => OutcomeName(o) == name);

    /// <summary>The state a job moves to when attempt number <paramref name="attempt"/> ends, and when it may run again.</summary>
    /// <returns>The next state and, for <see cref="JobState.Failed"/>, the retry instant.</returns>
    public static (JobState State, DateTimeOffset? RetryAt) AfterAttempt(
        AttemptOutcome outcome, int attempt, int maxRetries, QueueConfig config, DateTimeOffset now, double random01)
    {
        switch (outcome)
        {
            case AttemptOutcome.Succeeded:
                return (JobState.Completed, null);
            case AttemptOutcome.Cancelled:
                return (JobState.Dead, null);   // a person ended it: retrying would defeat them
            case AttemptOutcome.HandedBack:
                return (JobState.Pending, now); // not charged: the worker was asked to stop
            case AttemptOutcome.Failed or AttemptOutcome.TimedOut or AttemptOutcome.WorkerLost:
                if (attempt <= maxRetries)
                    return (JobState.Failed, now + Backoff.Delay(config, attempt, random01));
                return (JobState.Dead, null);
            default:
                throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "An attempt cannot end as Running.");
        }
    }
}
