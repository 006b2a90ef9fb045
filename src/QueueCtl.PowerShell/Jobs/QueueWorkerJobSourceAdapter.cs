using System.Collections.Concurrent;
using System.Management.Automation;

namespace QueueCtl.PowerShell.Jobs;

/// <summary>
/// Lets the job cmdlets find QueueWorkerJobs by id, name, state and command. Import-Module
/// registers adapters it finds in the root assembly; this one needs a parameterless constructor.
/// Jobs are created by Start-QueueWorker -AsJob, not through New-Job style specifications.
/// </summary>
public sealed class QueueWorkerJobSourceAdapter : JobSourceAdapter
{
    private static readonly ConcurrentDictionary<Guid, QueueWorkerJob> Known = new();

    public QueueWorkerJobSourceAdapter() => Name = QueueWorkerJob.JobTypeName;

    internal static void Remember(QueueWorkerJob job) => Known[job.InstanceId] = job;

    internal static void Forget(QueueWorkerJob job) => Known.TryRemove(job.InstanceId, out _);

    public override Job2 NewJob(JobInvocationInfo specification) =>
        throw new NotSupportedException("Queue worker jobs are started with Start-QueueWorker -AsJob.");

    public override IList<Job2> GetJobs() => Known.Values.Cast<Job2>().ToList();

    public override IList<Job2> GetJobsByName(string name, bool recurse)
    {
        var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
        return Known.Values.Where(j => pattern.IsMatch(j.Name)).Cast<Job2>().ToList();
    }

    public override IList<Job2> GetJobsByCommand(string command, bool recurse)
    {
        var pattern = new WildcardPattern(command, WildcardOptions.IgnoreCase);
        return Known.Values.Where(j => pattern.IsMatch(j.Command)).Cast<Job2>().ToList();
    }

    public override Job2? GetJobByInstanceId(Guid instanceId, bool recurse) =>
        Known.TryGetValue(instanceId, out var job) ? job : null;

    public override Job2? GetJobBySessionId(int id, bool recurse) =>
        Known.Values.FirstOrDefault(j => j.Id == id);

    public override IList<Job2> GetJobsByState(JobState state, bool recurse) =>
        Known.Values.Where(j => j.JobStateInfo.State == state).Cast<Job2>().ToList();

    public override IList<Job2> GetJobsByFilter(Dictionary<string, object> filter, bool recurse) => [];

    public override void RemoveJob(Job2 job)
    {
        if (job is not QueueWorkerJob ours) return;
        Forget(ours);
        ours.Dispose();
    }
}
