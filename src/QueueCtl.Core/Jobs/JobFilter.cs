namespace QueueCtl.Core.Jobs;

/// <summary>Which jobs a listing or removal is about. Empty lists mean "any".</summary>
public sealed record JobFilter
{
    public IReadOnlyList<string> Ids { get; init; } = [];
    public IReadOnlyList<JobState> States { get; init; } = [];
    public IReadOnlyList<string> Queues { get; init; } = [];
    /// <summary>Only jobs last updated before this instant (for "remove what finished a week ago").</summary>
    public DateTimeOffset? UpdatedBefore { get; init; }
    /// <summary>At most this many, in enqueue order; null = all.</summary>
    public int? Limit { get; init; }

    public static JobFilter All { get; } = new();
}
