using QueueCtl.Core.Jobs;

namespace QueueCtl.Core.Workers;

/// <summary>Runs one attempt of a job. The product uses <see cref="ShellExecutor"/>; benchmarks use a no-op seam.</summary>
public interface IJobExecutor
{
    /// <param name="abort">Cancelled when the attempt must end now (cancel request, forced stop); the executor ends the process tree and returns.</param>
    Task<AttemptResult> ExecuteAsync(ClaimedJob job, ExecutionContext context, CancellationToken abort);
}

/// <summary>What the worker gives an executor besides the job.</summary>
public sealed class ExecutionContext
{
    public int OutputLimit { get; init; } = 65_536;
    /// <summary>Called with the pid (and process group) of the command as soon as it has started.</summary>
    public Action<int> ProcessStarted { get; init; } = _ => { };
}
