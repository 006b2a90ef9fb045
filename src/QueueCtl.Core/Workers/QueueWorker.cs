namespace QueueCtl.Core.Workers;

/// <summary>Where a worker process stands.</summary>
public enum WorkerState
{
    Running,
    /// <summary>Asked to stop: claims nothing new, finishing what it holds.</summary>
    Stopping,
    Stopped,
    /// <summary>Stopped heartbeating without saying goodbye (crashed, killed, or its host is gone).</summary>
    Lost,
}

/// <summary>A registered worker process, as stored in the queue.</summary>
public sealed class QueueWorker
{
    public required string Id { get; init; }
    public required string Host { get; init; }
    public int ProcessId { get; init; }
    /// <summary>The queues it serves; empty means every queue.</summary>
    public IReadOnlyList<string> Queues { get; init; } = [];
    public int Slots { get; init; }
    public WorkerState State { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset HeartbeatAt { get; init; }
    public DateTimeOffset? StoppedAt { get; init; }
    /// <summary>Jobs it holds right now.</summary>
    public int Running { get; init; }
    /// <summary>Attempts it has finished.</summary>
    public long JobsDone { get; init; }
    /// <summary>Where a detached worker writes its log, if anywhere.</summary>
    public string? LogPath { get; init; }

    public string QueueList => Queues.Count == 0 ? "*" : string.Join(",", Queues);

    public override string ToString() =>
        $"{Id} ({State.ToString().ToLowerInvariant()}, pid {ProcessId} on {Host}, {Running}/{Slots} busy, queues {QueueList})";
}

/// <summary>What a worker learns at each heartbeat: whether to stop, and which of its jobs to cancel.</summary>
public sealed record WorkerControl(StopRequest Stop, IReadOnlyList<string> CancelJobIds);

public enum StopRequest
{
    None = 0,
    /// <summary>Finish running jobs within shutdown_grace, then hand the rest back.</summary>
    Graceful = 1,
    /// <summary>End running jobs now and hand them back.</summary>
    Immediate = 2,
}
