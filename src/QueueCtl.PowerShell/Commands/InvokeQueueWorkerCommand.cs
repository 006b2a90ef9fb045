using System.Collections.Concurrent;
using System.Management.Automation;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Workers;
using QueueCtl.PowerShell.Completers;

namespace QueueCtl.PowerShell.Commands;

/// <summary>
/// Runs a worker in the foreground and writes what it does as WorkerEvent objects. Ctrl+C stops
/// it gracefully (running jobs get shutdown_grace to finish); -Drain returns once nothing is due.
/// Detached workers started by Start-QueueWorker are pwsh processes running this cmdlet.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "QueueWorker")]
[OutputType(typeof(WorkerEvent))]
public sealed class InvokeQueueWorkerCommand : QueueCmdletBase
{
    /// <summary>Jobs run at once.</summary>
    [Parameter]
    [ValidateRange(1, WorkerOptions.MaxSlots)]
    public int Slots { get; set; } = 1;

    /// <summary>Queues served; every queue when omitted.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(QueueNameCompleter))]
    public string[]? Queue { get; set; }

    /// <summary>Process what is due, then return.</summary>
    [Parameter]
    public SwitchParameter Drain { get; set; }

    /// <summary>The worker's id (Start-QueueWorker passes one so it can find the worker it started).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? WorkerId { get; set; }

    /// <summary>Also append every event to this file.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LogPath { get; set; }

    protected override void EndProcessing()
    {
        var databasePath = Jobs.DatabasePath; // resolves and checks the database before the worker starts
        var options = new WorkerOptions
        {
            Slots = Slots,
            Queues = Queue ?? [],
            Drain = Drain,
            WorkerId = WorkerId,
            LogPath = LogPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(LogPath),
        };
        Worker worker;
        try { worker = new Worker(databasePath, options); }
        catch (QueueException e) { ThrowTerminatingError(ToErrorRecord(e)); return; }

        var events = new BlockingCollection<WorkerEvent>();
        worker.EventRaised += e => { try { events.Add(e); } catch (InvalidOperationException) { /* after the worker ended */ } };
        var run = Task.Run(async () =>
        {
            try { await worker.RunAsync(Cancellation).ConfigureAwait(false); }
            finally { events.CompleteAdding(); }
        });

        // Write* only from this (the pipeline) thread: the worker's threads hand events over.
        foreach (var e in events.GetConsumingEnumerable())
        {
            if (Cancellation.IsCancellationRequested) continue; // stopping: keep draining, write nothing
            WriteObject(e);
            if (e.Kind is WorkerEventKind.Retrying or WorkerEventKind.DeadLettered or WorkerEventKind.Warning)
                WriteVerbose(e.ToString());
        }
        try { run.GetAwaiter().GetResult(); }
        catch (QueueException e) when (!Cancellation.IsCancellationRequested) { ThrowTerminatingError(ToErrorRecord(e)); }
    }
}
