using System.Collections.Concurrent;
using System.Management.Automation;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;
using JobState = QueueCtl.Core.Jobs.JobState;
using QueueCtl.PowerShell.Completers;

namespace QueueCtl.PowerShell.Commands;

/// <summary>
/// Waits until the jobs have ended (completed or dead), showing progress, and writes them.
/// With -Timeout, gives up after that many seconds with a WaitTimedOut error naming the jobs still going.
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "QueueJob")]
[OutputType(typeof(QueueJob))]
public sealed class WaitQueueJobCommand : QueueCmdletBase
{
    private const int ProgressActivityId = 0x5143; // fixed, so every update replaces the last
    private readonly List<string> _ids = [];

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(JobIdCompleter))]
    public string[] Id { get; set; } = [];

    /// <summary>Seconds to wait at most; without it, waits as long as it takes (Ctrl+C stops waiting).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int? Timeout { get; set; }

    protected override void ProcessRecord() => _ids.AddRange(Id);

    protected override void EndProcessing()
    {
        if (_ids.Count == 0) return;
        var ids = _ids.Distinct(StringComparer.Ordinal).ToList();
        var updates = new BlockingCollection<(int Done, int Total)>();
        var progress = new SynchronousProgress(p => updates.Add(p));
        var timeout = Timeout is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        var queue = Jobs; // opened on the pipeline thread
        var wait = Task.Run(async () =>
        {
            try { return await queue.WaitForJobsAsync(ids, timeout, progress, Cancellation).ConfigureAwait(false); }
            finally { updates.CompleteAdding(); }
        });

        var record = new ProgressRecord(ProgressActivityId, "Waiting for queue jobs", $"0 of {ids.Count} ended");
        foreach (var (done, total) in updates.GetConsumingEnumerable())
        {
            if (Cancellation.IsCancellationRequested) break;
            record.StatusDescription = $"{done} of {total} ended";
            record.PercentComplete = total == 0 ? 100 : done * 100 / total;
            WriteProgress(record);
        }

        IReadOnlyList<QueueJob> jobs;
        try
        {
            jobs = wait.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            return; // Ctrl+C: the pipeline is stopping, nothing more may be written
        }
        catch (QueueException e)
        {
            record.RecordType = ProgressRecordType.Completed;
            WriteProgress(record);
            if (e.Kind == QueueErrorKind.Timeout)
            {
                WriteError(ToErrorRecord(e));
                return;
            }
            ThrowTerminatingError(ToErrorRecord(e));
            return;
        }
        record.RecordType = ProgressRecordType.Completed;
        WriteProgress(record);
        WriteVerbose($"{jobs.Count} job(s) ended: {jobs.Count(j => j.State == JobState.Completed)} completed, {jobs.Count(j => j.State == JobState.Dead)} dead.");
        foreach (var job in jobs) WriteObject(job);
    }

    /// <summary>Progress&lt;T&gt; would post to a captured context; this reports on the waiting thread.</summary>
    private sealed class SynchronousProgress(Action<(int, int)> report) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => report(value);
    }
}
