using System.Management.Automation;
using QueueCtl.Core.Jobs;
using JobState = QueueCtl.Core.Jobs.JobState;
using QueueCtl.PowerShell.Completers;

namespace QueueCtl.PowerShell.Commands;

/// <summary>Cancels waiting jobs (they go to the dead-letter queue) and asks workers to end running ones.</summary>
[Cmdlet(VerbsLifecycle.Stop, "QueueJob", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(QueueJob))]
public sealed class StopQueueJobCommand : QueueCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(JobIdCompleter))]
    public string[] Id { get; set; } = [];

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var id in Id)
        {
            if (!ShouldProcess(id, "Stop queue job")) continue;
            TryItem(() =>
            {
                var job = Jobs.StopJob(id);
                WriteVerbose(job.State == JobState.Processing
                    ? $"Asked worker {job.WorkerId} to end job {id}."
                    : $"Cancelled job {id}; it is now {job.State.ToString().ToLowerInvariant()}.");
                if (PassThru) WriteObject(job);
            }, id);
        }
    }
}
