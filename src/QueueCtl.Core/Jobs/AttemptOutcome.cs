namespace QueueCtl.Core.Jobs;

/// <summary>How one attempt of a job ended.</summary>
public enum AttemptOutcome
{
    /// <summary>Still running (or its worker has not reported yet).</summary>
    Running,
    /// <summary>Exited with code 0.</summary>
    Succeeded,
    /// <summary>Exited non-zero, or could not start.</summary>
    Failed,
    /// <summary>Ended because it passed its timeout.</summary>
    TimedOut,
    /// <summary>Its worker died or froze past the lease.</summary>
    WorkerLost,
    /// <summary>Cancelled by a person (Stop-QueueJob).</summary>
    Cancelled,
    /// <summary>Its worker stopped gracefully and gave the job back; not charged.</summary>
    HandedBack,
}
