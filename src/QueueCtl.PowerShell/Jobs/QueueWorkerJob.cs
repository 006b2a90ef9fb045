using System.Management.Automation;
using QueueCtl.Core.Workers;

namespace QueueCtl.PowerShell.Jobs;

/// <summary>
/// Start-QueueWorker -AsJob: workers running on threads of this pwsh process, seen as one
/// PowerShell job. Receive-Job gives their WorkerEvents (the log lines), Stop-Job stops them
/// gracefully, Wait-Job waits for them (with -Drain they end on their own).
/// A PowerShell job, not a queue job: queue jobs are QueueJob records.
/// </summary>
public sealed class QueueWorkerJob : Job2
{
    public const string JobTypeName = "QueueWorkerJob";

    private readonly IReadOnlyList<Worker> _workers;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private Task? _run;
    private int _stopRequested;

    internal QueueWorkerJob(string command, string? name, IReadOnlyList<Worker> workers)
        : base(command, name)
    {
        _workers = workers;
        PSJobTypeName = JobTypeName;
        Location = System.Environment.MachineName;
        foreach (var worker in workers) worker.EventRaised += OnEvent;
    }

    /// <summary>The ids of the workers this job runs.</summary>
    public IReadOnlyList<string> WorkerIds => _workers.Select(w => w.Id).ToList();

    public override string Location { get; }

    public override bool HasMoreData => Output.Count > 0 || Error.Count > 0 || Verbose.Count > 0 || Warning.Count > 0;

    public override string StatusMessage => $"{_workers.Count} worker(s): {string.Join(", ", WorkerIds)}";

    private void OnEvent(WorkerEvent e)
    {
        lock (_gate)
        {
            if (IsFinished(JobStateInfo.State)) return;
            Output.Add(PSObject.AsPSObject(e));
            if (e.Kind == WorkerEventKind.Warning) Warning.Add(new WarningRecord(e.ToString()));
        }
    }

    private static bool IsFinished(JobState state) =>
        state is JobState.Completed or JobState.Failed or JobState.Stopped;

    public override void StartJob()
    {
        lock (_gate)
        {
            if (_run is not null) throw new InvalidOperationException($"Job {Name} has already been started.");
            SetJobState(JobState.Running);
            _run = Task.Run(RunAll);
        }
    }

    private async Task RunAll()
    {
        Exception? failure = null;
        try
        {
            await Task.WhenAll(_workers.Select(w => Task.Run(() => w.RunAsync(_stop.Token)))).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e;
        }
        lock (_gate)
        {
            if (failure is not null)
            {
                var error = failure is QueueCtl.Core.Errors.QueueException q
                    ? new ErrorRecord(q, q.ErrorId, QueueCmdletBase.CategoryOf(q), q.Target)
                    : new ErrorRecord(failure, "QueueWorkerFailed", ErrorCategory.NotSpecified, null);
                Error.Add(error);
                SetJobState(JobState.Failed);
            }
            else
            {
                SetJobState(Volatile.Read(ref _stopRequested) == 1 ? JobState.Stopped : JobState.Completed);
            }
        }
        // Raised outside the lock: Stop-Job waits for this (StopJobAsync must always end with it).
        if (Volatile.Read(ref _stopRequested) == 1) OnStopJobCompleted(new System.ComponentModel.AsyncCompletedEventArgs(failure, false, null));
    }

    public override void StartJobAsync()
    {
        StartJob();
        OnStartJobCompleted(new System.ComponentModel.AsyncCompletedEventArgs(null, false, null));
    }

    public override void StopJob() => StopJob(force: false, reason: null);

    public override void StopJob(bool force, string? reason)
    {
        Task? run;
        lock (_gate)
        {
            run = _run;
            if (run is null || IsFinished(JobStateInfo.State))
            {
                if (!IsFinished(JobStateInfo.State)) SetJobState(JobState.Stopped);
                return;
            }
            Interlocked.Exchange(ref _stopRequested, 1);
            SetJobState(JobState.Stopping);
        }
        _stop.Cancel();
        run.GetAwaiter().GetResult();
    }

    public override void StopJobAsync() => StopJobAsync(force: false, reason: null);

    public override void StopJobAsync(bool force, string? reason)
    {
        Task? run;
        lock (_gate)
        {
            run = _run;
            if (run is null || IsFinished(JobStateInfo.State))
            {
                if (!IsFinished(JobStateInfo.State)) SetJobState(JobState.Stopped);
                OnStopJobCompleted(new System.ComponentModel.AsyncCompletedEventArgs(null, false, null));
                return;
            }
            Interlocked.Exchange(ref _stopRequested, 1);
            SetJobState(JobState.Stopping);
        }
        _stop.Cancel(); // RunAll raises StopJobCompleted once every worker has stopped
    }

    public override void SuspendJob() => throw NotSupported("suspended");
    public override void SuspendJobAsync() => throw NotSupported("suspended");
    public override void SuspendJob(bool force, string? reason) => throw NotSupported("suspended");
    public override void SuspendJobAsync(bool force, string? reason) => throw NotSupported("suspended");
    public override void ResumeJob() => throw NotSupported("resumed");
    public override void ResumeJobAsync() => throw NotSupported("resumed");
    public override void UnblockJob() => throw NotSupported("unblocked");
    public override void UnblockJobAsync() => throw NotSupported("unblocked");

    private static NotSupportedException NotSupported(string what) =>
        new($"A {JobTypeName} cannot be {what}; stop it with Stop-Job and start workers again with Start-QueueWorker.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var worker in _workers) worker.EventRaised -= OnEvent;
            if (_run is { IsCompleted: false })
            {
                Interlocked.Exchange(ref _stopRequested, 1);
                _stop.Cancel();
            }
            else
            {
                _stop.Dispose();
            }
            QueueWorkerJobSourceAdapter.Forget(this);
        }
        base.Dispose(disposing);
    }
}
