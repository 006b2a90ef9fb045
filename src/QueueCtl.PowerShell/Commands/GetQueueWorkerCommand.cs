using System.Management.Automation;
using QueueCtl.Core.Workers;
using QueueCtl.PowerShell.Completers;

namespace QueueCtl.PowerShell.Commands;

/// <summary>Lists the worker processes registered with the queue (live ones unless -IncludeStopped).</summary>
[Cmdlet(VerbsCommon.Get, "QueueWorker")]
[OutputType(typeof(QueueWorker))]
public sealed class GetQueueWorkerCommand : QueueCmdletBase
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(WorkerIdCompleter))]
    public string[]? Id { get; set; }

    /// <summary>Also stopped and lost workers.</summary>
    [Parameter]
    public SwitchParameter IncludeStopped { get; set; }

    protected override void ProcessRecord()
    {
        var workers = Jobs.ListWorkers(IncludeStopped || Id is not null);
        if (Id is null)
        {
            foreach (var worker in workers) WriteObject(worker);
            return;
        }
        foreach (var id in Id)
        {
            var worker = workers.FirstOrDefault(w => string.Equals(w.Id, id, StringComparison.Ordinal));
            if (worker is null)
                WriteError(NewError("WorkerNotFound", ErrorCategory.ObjectNotFound, $"There is no worker with id '{id}' in {Jobs.DatabasePath}.", id));
            else
                WriteObject(worker);
        }
    }
}
