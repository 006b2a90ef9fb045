using System.Management.Automation;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;
using JobState = QueueCtl.Core.Jobs.JobState;
using QueueCtl.PowerShell.Completers;

namespace QueueCtl.PowerShell.Commands;

/// <summary>
/// Deletes jobs and their attempt history: by id (also from the pipeline), or by state, queue
/// and age. Running jobs are never removed (stop them first with Stop-QueueJob).
/// </summary>
[Cmdlet(VerbsCommon.Remove, "QueueJob", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = IdSet)]
[OutputType(typeof(QueueJob))]
public sealed class RemoveQueueJobCommand : QueueCmdletBase
{
    private const string IdSet = "Id";
    private const string FilterSet = "Filter";
    private const int BatchSize = 1000;

    private readonly List<QueueJob> _batch = [];

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

    /// <summary>Only jobs last updated longer ago than this.</summary>
    [Parameter(ParameterSetName = FilterSet)]
    public TimeSpan? OlderThan { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == FilterSet)
        {
            RemoveMatching();
            return;
        }
        foreach (var id in Id)
        {
            var job = default(QueueJob);
            if (!TryItem(() => job = Jobs.GetJob(id), id) || job is null) continue;
            if (!ShouldProcess($"{job.Id} ({job.Command})", "Remove queue job")) continue;
            if (job.State == JobState.Processing)
            {
                WriteError(Running(job));
                continue;
            }
            _batch.Add(job);
            if (_batch.Count >= BatchSize) Flush();
        }
    }

    protected override void EndProcessing() => Flush();

    private void RemoveMatching()
    {
        if (State is null && Queue is null && OlderThan is null)
        {
            ThrowTerminatingError(NewError("RemoveFilterMissing", ErrorCategory.InvalidArgument,
                "Say which jobs to remove: give -Id, or at least one of -State, -Queue and -OlderThan. " +
                "To remove every job that is not running, use -State Pending, Failed, Completed, Dead."));
        }
        if (OlderThan is { } age && age < TimeSpan.Zero)
            ThrowTerminatingError(NewError("InvalidOlderThan", ErrorCategory.InvalidArgument, $"-OlderThan must not be negative; got {age}.", age));
        var filter = new JobFilter
        {
            States = State ?? [],
            Queues = Queue ?? [],
            UpdatedBefore = OlderThan is { } olderThan ? DateTimeOffset.UtcNow - olderThan : null,
        };
        foreach (var job in Jobs.ListJobs(filter))
        {
            if (job.State == JobState.Processing)
            {
                WriteError(Running(job));
                continue;
            }
            if (!ShouldProcess($"{job.Id} ({job.Command})", "Remove queue job")) continue;
            _batch.Add(job);
            if (_batch.Count >= BatchSize) Flush();
        }
    }

    private void Flush()
    {
        if (_batch.Count == 0) return;
        var batch = _batch.ToList();
        _batch.Clear();
        try
        {
            var (removed, running) = Jobs.RemoveJobs(new JobFilter { Ids = batch.Select(j => j.Id).ToList() });
            WriteVerbose($"Removed {removed} job(s).");
            if (running > 0)
                WriteWarning($"{running} job(s) started running before they could be removed and were left in place.");
        }
        catch (QueueException e)
        {
            ThrowTerminatingError(ToErrorRecord(e));
        }
        if (PassThru) foreach (var job in batch) WriteObject(job);
    }

    private static ErrorRecord Running(QueueJob job) =>
        NewError("JobRunning", ErrorCategory.InvalidOperation,
            $"Job {job.Id} is running on worker {job.WorkerId} and was not removed. Stop it first: Stop-QueueJob -Id {job.Id}.", job.Id);
}
