using System.Management.Automation;
using QueueCtl.Core.Workers;
using QueueCtl.PowerShell.Completers;

namespace QueueCtl.PowerShell.Commands;

/// <summary>
/// Asks workers to stop: gracefully (no new claims, running jobs get shutdown_grace to finish)
/// or, with -Immediate, at once (running jobs are ended and handed back without charging an attempt).
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "QueueWorker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = IdSet)]
[OutputType(typeof(QueueWorker))]
public sealed class StopQueueWorkerCommand : QueueCmdletBase
{
    private const string IdSet = "Id";
    private const string AllSet = "All";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(WorkerIdCompleter))]
    public string[] Id { get; set; } = [];

    /// <summary>Every live worker of the queue.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AllSet)]
    public SwitchParameter All { get; set; }

    [Parameter]
    public SwitchParameter Immediate { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private string Action => Immediate ? "Stop queue worker now (running jobs are handed back)" : "Stop queue worker gracefully";

    protected override void ProcessRecord()
    {
        var ids = ParameterSetName == AllSet ? Jobs.ListWorkers().Select(w => w.Id).ToArray() : Id;
        if (ParameterSetName == AllSet && ids.Length == 0) WriteVerbose("No worker is running.");
        foreach (var id in ids)
        {
            if (!ShouldProcess(id, Action)) continue;
            TryItem(() =>
            {
                if (Jobs.StopWorkers([id], Immediate).Count == 0)
                {
                    var known = Jobs.ListWorkers(includeStopped: true).FirstOrDefault(w => w.Id == id);
                    WriteError(known is null
                        ? NewError("WorkerNotFound", ErrorCategory.ObjectNotFound, $"There is no worker with id '{id}' in {Jobs.DatabasePath}.", id)
                        : NewError("WorkerNotRunning", ErrorCategory.InvalidOperation, $"Worker {id} is {known.State.ToString().ToLowerInvariant()}; there is nothing to stop.", id));
                    return;
                }
                WriteVerbose($"Asked worker {id} to stop{(Immediate ? " now" : "")}.");
                if (PassThru && Jobs.ListWorkers(includeStopped: true).FirstOrDefault(w => w.Id == id) is { } worker)
                    WriteObject(worker);
            }, id);
        }
    }
}
