using System.Management.Automation;
using QueueCtl.Core.Jobs;
using JobState = QueueCtl.Core.Jobs.JobState;
using QueueCtl.PowerShell.Completers;

namespace QueueCtl.PowerShell.Commands;

/// <summary>Lists queue jobs, by id or filtered by state and queue, in enqueue order.</summary>
[Cmdlet(VerbsCommon.Get, "QueueJob", DefaultParameterSetName = FilterSet)]
[OutputType(typeof(QueueJob))]
public sealed class GetQueueJobCommand : QueueCmdletBase
{
    private const string FilterSet = "Filter";
    private const string IdSet = "Id";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(JobIdCompleter))]
    public string[] Id { get; set; } = [];

    [Parameter(ParameterSetName = FilterSet)]
    public JobState[]? State { get; set; }

    [Parameter(ParameterSetName = FilterSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(QueueNameCompleter))]
    public string[]? Queue { get; set; }

    /// <summary>At most this many jobs (the oldest first).</summary>
    [Parameter(ParameterSetName = FilterSet)]
    [ValidateRange(1, int.MaxValue)]
    public int? First { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == IdSet)
        {
            foreach (var id in Id)
                TryItem(() => WriteObject(Jobs.GetJob(id)), id);
            return;
        }
        var filter = new JobFilter { States = State ?? [], Queues = Queue ?? [], Limit = First };
        var jobs = Jobs.ListJobs(filter);
        WriteVerbose($"{jobs.Count} job(s) matched.");
        foreach (var job in jobs) WriteObject(job);
    }
}
