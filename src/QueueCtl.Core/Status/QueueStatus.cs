namespace QueueCtl.Core.Status;

/// <summary>Counts of jobs in one queue, by state.</summary>
public sealed class QueueCounts
{
    public required string Queue { get; init; }
    public long Pending { get; init; }
    public long Scheduled { get; init; }
    public long Processing { get; init; }
    public long Completed { get; init; }
    public long Failed { get; init; }
    public long Dead { get; init; }
    public long Total => Pending + Processing + Completed + Failed + Dead;

    public override string ToString() =>
        $"{Queue}: {Pending} pending, {Processing} processing, {Completed} completed, {Failed} failed, {Dead} dead";
}

/// <summary>The whole queue at a glance: counts, workers, durations and throughput.</summary>
public sealed class QueueStatus
{
    public required string Database { get; init; }
    /// <summary>Pending jobs, including scheduled ones that are not due yet.</summary>
    public long Pending { get; init; }
    /// <summary>Pending or failed jobs whose next run is in the future.</summary>
    public long Scheduled { get; init; }
    public long Processing { get; init; }
    public long Completed { get; init; }
    public long Failed { get; init; }
    public long Dead { get; init; }
    public long Total => Pending + Processing + Completed + Failed + Dead;
    public int Workers { get; init; }
    public int Slots { get; init; }
    /// <summary>Over the most recent successful attempts (up to 10,000).</summary>
    public TimeSpan? AverageDuration { get; init; }
    public TimeSpan? P95Duration { get; init; }
    /// <summary>Attempts finished per second over the last minute.</summary>
    public double Throughput { get; init; }
    public IReadOnlyList<QueueCounts> Queues { get; init; } = [];

    public override string ToString() =>
        $"{Pending} pending ({Scheduled} scheduled), {Processing} processing, {Completed} completed, {Failed} failed, {Dead} dead; {Workers} workers";
}
