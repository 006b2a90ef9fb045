namespace QueueCtl.Core.Jobs;

/// <summary>Where a job stands in its lifecycle (DESIGN.md, "Lifecycle").</summary>
public enum JobState
{
    /// <summary>Waiting to be claimed (possibly scheduled for later through RunAt).</summary>
    Pending,
    /// <summary>Claimed by a worker that holds its lease.</summary>
    Processing,
    /// <summary>Its last attempt exited with code 0.</summary>
    Completed,
    /// <summary>An attempt failed; it runs again once NextRunAt is reached.</summary>
    Failed,
    /// <summary>Out of retries: parked in the dead-letter queue.</summary>
    Dead,
}
