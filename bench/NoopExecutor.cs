using System.Diagnostics;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Workers;
using ExecutionContext = QueueCtl.Core.Workers.ExecutionContext;

namespace QueueCtl.Bench;

/// <summary>
/// The bench's executor seam: every attempt succeeds at once without starting anything, so that
/// what is measured is QueueCtl's own machinery (claim, bookkeeping, completion). Not a product feature.
/// </summary>
internal sealed class NoopExecutor : IJobExecutor
{
    private static readonly Task<AttemptResult> Done = Task.FromResult(AttemptResult.Success());

    /// <summary>Called with the job and the monotonic timestamp (Stopwatch ticks) at which it started.</summary>
    public Action<ClaimedJob, long>? Started { get; init; }

    public Task<AttemptResult> ExecuteAsync(ClaimedJob job, ExecutionContext context, CancellationToken abort)
    {
        Started?.Invoke(job, Stopwatch.GetTimestamp());
        return Done;
    }
}
