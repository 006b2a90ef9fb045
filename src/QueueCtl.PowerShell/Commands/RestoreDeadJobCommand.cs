using System.Management.Automation;
using QueueCtl.Core.Jobs;
using JobState = QueueCtl.Core.Jobs.JobState;
using QueueCtl.PowerShell.Completers;

namespace QueueCtl.PowerShell.Commands;

/// <summary>Moves dead jobs back to pending with their attempts reset; their history stays.</summary>
[Cmdlet(VerbsData.Restore, "DeadJob", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = IdSet)]
[OutputType(typeof(QueueJob))]
public sealed class RestoreDeadJobCommand : QueueCmdletBase
{
    private const string IdSet = "Id";
    private const string AllSet = "All";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(JobIdCompleter))]
    public string[] Id { get; set; } = [];

    /// <summary>Every dead job (of -Queue, if given).</summary>
    [Parameter(Mandatory = true, ParameterSetName = AllSet)]
    public SwitchParameter All { get; set; }

    [Parameter(ParameterSetName = AllSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(QueueNameCompleter))]
    public string? Queue { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == AllSet)
        {
            RestoreAll();
            return;
        }
        foreach (var id in Id)
        {
            if (!ShouldProcess(id, "Restore dead job to pending")) continue;
            TryItem(() =>
            {
                var job = Jobs.RestoreDeadJob(id);
                WriteVerbose($"Restored job {id}.");
                if (PassThru) WriteObject(job);
            }, id);
        }
    }

    private void RestoreAll()
    {
        var dead = Jobs.ListJobs(new JobFilter { States = [JobState.Dead], Queues = Queue is null ? [] : [Queue] });
        var target = $"{dead.Count} dead job(s)" + (Queue is null ? "" : $" in queue '{Queue}'");
        if (!ShouldProcess(target, "Restore dead jobs to pending")) return;
        if (dead.Count == 0)
        {
            WriteVerbose("There are no dead jobs to restore.");
            return;
        }
        if (!PassThru)
        {
            TryItem(() => WriteVerbose($"Restored {Jobs.RestoreAllDeadJobs(Queue)} job(s)."), Queue);
            return;
        }
        foreach (var job in dead)
            TryItem(() =>
            {
                var restored = Jobs.RestoreDeadJob(job.Id);
                if (PassThru) WriteObject(restored);
            }, job.Id);
    }
}
