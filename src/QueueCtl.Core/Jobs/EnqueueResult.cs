namespace QueueCtl.Core.Jobs;

/// <summary>What an enqueue wrote: the ids added, and the ids skipped because they already existed.</summary>
public sealed record EnqueueResult(IReadOnlyList<string> Added, IReadOnlyList<string> Skipped);
