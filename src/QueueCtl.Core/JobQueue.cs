using QueueCtl.Core.Config;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Status;
using QueueCtl.Core.Storage;
using QueueCtl.Core.Time;
using QueueCtl.Core.Workers;

namespace QueueCtl.Core;

/// <summary>
/// The queue as the CLI and the cmdlets see it: every user-facing operation, each a thin call
/// into the store plus the rules that belong to no single statement (validation, wake-ups).
/// Not thread-safe for concurrent writers beyond what its store serializes; open one per caller.
/// </summary>
public sealed class JobQueue : IDisposable
{
    private readonly IQueueStore _store;
    private IReadOnlyList<int> _wakePorts = [];
    private DateTimeOffset _wakePortsRead = DateTimeOffset.MinValue;

    private JobQueue(IQueueStore store) => _store = store;

    /// <summary>Opens (creating if needed) the queue at <paramref name="database"/>, else $QUEUECTL_DB, else the per-user default.</summary>
    public static JobQueue Open(string? database = null, IClock? clock = null, StoreOptions? options = null) =>
        new(SqliteQueueStore.Open(DatabaseLocation.Resolve(database), clock, options));

    public string DatabasePath => _store.Path;
    private DateTimeOffset Now => _store.Clock.UtcNow;

    /// <summary>Checks a spec as enqueue would, without writing. Throws a QueueException naming the problem.</summary>
    public void Validate(JobSpec spec) => JobSpecValidator.Check(spec, Now);

    public QueueJob Enqueue(JobSpec spec, DuplicatePolicy duplicates = DuplicatePolicy.Fail)
    {
        var (added, job) = _store.EnqueueOne(JobSpecValidator.Validate(spec, Now), duplicates);
        if (added) WakeWorkers();
        return job;
    }

    /// <summary>
    /// Enqueues all of <paramref name="specs"/> in one transaction: if any is refused, none is
    /// written, and the refusal's <see cref="QueueException.ItemIndex"/> says which spec it was.
    /// </summary>
    public EnqueueResult EnqueueMany(IEnumerable<JobSpec> specs, DuplicatePolicy duplicates = DuplicatePolicy.Fail) =>
        Write(BatchValidation.Start(specs as IReadOnlyList<JobSpec> ?? specs.ToList(), Now), duplicates);

    /// <summary>
    /// <see cref="EnqueueMany"/> for a sequence that makes its specs as it is read, such as a file
    /// being parsed: on more than one core it is read on a thread of its own, and each job is
    /// written once read and checked, so that reading overlaps writing. The sequence must not mind
    /// which thread reads it. An exception it throws ends the batch, and nothing is written; a spec
    /// refused before that point is the error reported.
    /// </summary>
    public EnqueueResult EnqueueStreamed(IEnumerable<JobSpec> specs, DuplicatePolicy duplicates = DuplicatePolicy.Fail) =>
        Write(BatchValidation.StartReading(specs, Now), duplicates);

    /// <summary>Writes a batch being checked (and perhaps still read) in one transaction, and wakes the workers.</summary>
    private EnqueueResult Write(BatchValidation batch, DuplicatePolicy duplicates)
    {
        using var jobs = batch;
        EnqueueResult result;
        try
        {
            result = _store.Enqueue(jobs, duplicates);
        }
        catch
        {
            // A large batch is still being read and checked while it is written: a refused spec, or
            // the sequence's own error, is the one to report (as when every spec was checked
            // first), not what writing the others met.
            jobs.ThrowIfRefused();
            throw;
        }
        if (result.Added.Count > 0) WakeWorkers();
        return result;
    }

    public QueueJob? FindJob(string id) => _store.GetJob(id, _store.GetConfig());

    public QueueJob GetJob(string id) => FindJob(id) ?? throw SqliteQueueStore.JobNotFound(id);

    public IReadOnlyList<QueueJob> ListJobs(JobFilter? filter = null) => _store.ListJobs(Checked(filter ?? JobFilter.All), _store.GetConfig());

    /// <summary>Every attempt of a job, oldest first; empty if it never ran.</summary>
    public IReadOnlyList<JobAttempt> GetAttempts(string id)
    {
        if (FindJob(id) is null) throw SqliteQueueStore.JobNotFound(id);
        return _store.GetAttempts(id);
    }

    /// <summary>Moves a dead job back to pending with its attempts reset (its history stays).</summary>
    public QueueJob RestoreDeadJob(string id)
    {
        var job = _store.Restore(id, _store.GetConfig());
        WakeWorkers();
        return job;
    }

    public int RestoreAllDeadJobs(string? queue = null)
    {
        var count = _store.RestoreAll(queue is null ? null : JobSpecValidator.ValidateQueue(queue));
        if (count > 0) WakeWorkers();
        return count;
    }

    /// <summary>Cancels a waiting job (into the DLQ) or asks the worker running it to end it.</summary>
    public QueueJob StopJob(string id)
    {
        var job = _store.Cancel(id, _store.GetConfig());
        // Forced: the cached port list may predate the worker that runs this job.
        if (job.State == JobState.Processing) WakeWorkers(force: true);
        return job;
    }

    /// <summary>Deletes the matching jobs that are not running. Returns how many were removed and how many were left because they run.</summary>
    public (int Removed, int Running) RemoveJobs(JobFilter filter) => _store.RemoveJobs(Checked(filter));

    // SQLite reads a negative LIMIT as no limit at all: refuse it before it can widen a removal.
    private static JobFilter Checked(JobFilter filter) => filter.Limit is < 0
        ? throw QueueException.Invalid("InvalidLimit", $"A limit of {filter.Limit} is not valid: give 0 or more jobs.", filter.Limit)
        : filter;

    public QueueStatus GetStatus() => _store.GetStatus(TimeSpan.FromSeconds(_store.GetConfig().LeaseSeconds * 3));

    public IReadOnlyList<QueueWorker> ListWorkers(bool includeStopped = false) => _store.ListWorkers(includeStopped);

    /// <summary>Asks workers (every live one, or those named) to stop; returns the ids asked.</summary>
    public IReadOnlyList<string> StopWorkers(IReadOnlyList<string>? workerIds = null, bool immediate = false)
    {
        var asked = _store.RequestStop(workerIds ?? [], immediate ? StopRequest.Immediate : StopRequest.Graceful);
        if (asked.Count > 0) WakeWorkers(force: true);
        return asked;
    }

    public QueueConfig GetConfig() => _store.GetConfig();

    public IReadOnlyList<QueueConfigEntry> GetConfigEntries() => _store.GetConfigEntries();

    public QueueConfigEntry GetConfigEntry(string key)
    {
        var name = ConfigKey.Find(key).Name;
        return _store.GetConfigEntries().First(e => e.Key == name);
    }

    /// <summary>Sets a key (any accepted spelling) after checking its range; workers see it before their next claim.</summary>
    public QueueConfigEntry SetConfig(string key, string value)
    {
        var definition = ConfigKey.Find(key);
        _store.SetConfig(definition, definition.Parse(value));
        return GetConfigEntry(definition.Name);
    }

    public IReadOnlyList<string> ListQueues() => _store.ListQueues();

    /// <summary>
    /// Checks that <paramref name="queue"/> is a valid name that some job uses, so that a filter on a
    /// misspelt queue is refused (NotFound, naming the known queues) instead of silently matching nothing.
    /// </summary>
    public string RequireKnownQueue(string queue)
    {
        JobSpecValidator.ValidateQueue(queue);
        var known = _store.ListQueues();
        if (!known.Contains(queue, StringComparer.Ordinal))
            throw new QueueException(QueueErrorKind.NotFound, "UnknownQueue",
                $"No job is in a queue named '{queue}'. " + (known.Count == 0 ? "The queue database holds no jobs yet." : $"Queues: {string.Join(", ", known)}."), queue);
        return queue;
    }

    /// <summary>Ids starting with <paramref name="prefix"/>, for tab completion.</summary>
    public IReadOnlyList<string> ListJobIds(string prefix, int limit = 50) => _store.ListJobIds(prefix, limit);

    /// <summary>
    /// Waits until every named job has ended (completed or dead), reporting progress, or until the
    /// timeout. Returns the jobs as they ended; throws Timeout naming those still going.
    /// </summary>
    public async Task<IReadOnlyList<QueueJob>> WaitForJobsAsync(IReadOnlyList<string> ids, TimeSpan? timeout,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancel = default)
    {
        foreach (var id in ids) if (FindJob(id) is null) throw SqliteQueueStore.JobNotFound(id);
        var started = DateTimeOffset.UtcNow;
        var delay = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            var jobs = _store.ListJobs(new JobFilter { Ids = ids.Distinct().ToList() }, _store.GetConfig());
            var done = jobs.Count(j => j.State is JobState.Completed or JobState.Dead);
            progress?.Report((done, jobs.Count));
            if (done == jobs.Count) return jobs;
            if (timeout is { } limit && DateTimeOffset.UtcNow - started >= limit)
            {
                var waiting = jobs.Where(j => j.State is not (JobState.Completed or JobState.Dead)).Select(j => j.Id).ToList();
                throw new QueueException(QueueErrorKind.Timeout, "WaitTimedOut",
                    $"{waiting.Count} of {jobs.Count} job(s) had not ended after {limit.TotalSeconds:0.###} s: {string.Join(", ", waiting.Take(10))}{(waiting.Count > 10 ? ", ..." : "")}.", waiting);
            }
            await Task.Delay(delay, cancel).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(250, delay.TotalMilliseconds * 1.5));
        }
    }

    /// <summary>Wakes the idle workers on this host (cheap: one datagram each; the port list is cached for a second).</summary>
    private void WakeWorkers(bool force = false)
    {
        if (force || Now - _wakePortsRead > WakeSignal.PortListMaxAge)
        {
            _wakePorts = _store.LocalWorkers(Worker.Host).Where(w => w.Port is not null).Select(w => w.Port!.Value).ToList();
            _wakePortsRead = Now;
        }
        WakeSignal.Notify(_wakePorts);
    }

    public void Dispose() => _store.Dispose();
}
