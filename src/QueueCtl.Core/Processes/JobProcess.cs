namespace QueueCtl.Core.Processes;

/// <summary>A started job command, however it was started: its pid, its output and its end.</summary>
internal abstract class JobProcess : IDisposable
{
    public abstract int Id { get; }

    /// <summary>Whether the command leads a process group of its own, so the group can be signalled as a whole.</summary>
    public abstract bool LeadsGroup { get; }

    /// <summary>
    /// Completes when the command has exited: its exit code (128 + n when signal n ended it), or
    /// null when the status was lost. By then what it left running in its process group has been killed.
    /// </summary>
    public abstract Task<int?> Exited { get; }

    /// <summary>Completes when its output (copied into the tail it was started with) has ended, or was given up on after its exit.</summary>
    public abstract Task OutputEnded { get; }

    /// <summary>Kills the command and whatever it started, now.</summary>
    public abstract void KillTree();

    public abstract void Dispose();

    /// <summary>The best way to start jobs here: posix_spawn on Linux, System.Diagnostics.Process elsewhere.</summary>
    public static Func<JobLaunch, OutputTail, JobProcess> DefaultStarter { get; } =
        SpawnedJobProcess.Supported ? SpawnedJobProcess.Start : ManagedJobProcess.Start;
}
