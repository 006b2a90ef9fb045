using System.Globalization;

namespace QueueCtl.Core.Workers;

public enum WorkerEventKind
{
    Started,
    Picked,
    Completed,
    Retrying,
    DeadLettered,
    HandedBack,
    /// <summary>An attempt's outcome was refused because its lease had been taken over.</summary>
    LeaseLost,
    /// <summary>A job of a dead or frozen worker was recovered.</summary>
    Recovered,
    Stopping,
    Stopped,
    Warning,
}

/// <summary>Something a worker did, for its log (CLI output, Receive-Job, the detached worker's log file).</summary>
public sealed record WorkerEvent(DateTimeOffset Time, WorkerEventKind Kind, string WorkerId, string? JobId, int? Attempt, string Message)
{
    public override string ToString()
    {
        var job = JobId is null ? "" : Attempt is null ? $" {JobId}" : $" {JobId}#{Attempt}";
        return $"{Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)} {Kind.ToString().ToLowerInvariant(),-12}{job} {Message}";
    }
}
