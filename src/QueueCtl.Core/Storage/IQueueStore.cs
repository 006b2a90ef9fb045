using QueueCtl.Core.Config;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Status;
using QueueCtl.Core.Time;
using QueueCtl.Core.Workers;

namespace QueueCtl.Core.Storage;

/// <summary>
/// The storage boundary: everything Core asks of a database. SQLite implements it today; a
/// PostgreSQL backend (FOR UPDATE SKIP LOCKED, LISTEN/NOTIFY) is meant to implement it later
/// without the rest of Core changing.
/// </summary>
internal interface IQueueStore : IDisposable
{
    string Path { get; }
    IClock Clock { get; }

    EnqueueResult Enqueue(IEnumerable<JobSpecValidator.ValidJob> jobs, DuplicatePolicy duplicates);
    /// <summary>Enqueues one job in one transaction and returns it as stored: whether it was added, and the job (the existing one when skipped).</summary>
    (bool Added, QueueJob Job) EnqueueOne(JobSpecValidator.ValidJob job, DuplicatePolicy duplicates);

    IReadOnlyList<ClaimedJob> Claim(string workerId, IReadOnlyList<string> queues, int limit, QueueConfig config);
    bool RecordProcess(ClaimedJob job, int pid);
    IReadOnlyList<FinishResult> Finish(string workerId, IReadOnlyList<(ClaimedJob Job, AttemptResult Result)> attempts, QueueConfig config);
    IReadOnlyList<ExpiredLease> FindExpiredLeases();
    bool FailLostAttempt(ExpiredLease lease, QueueConfig config);
    QueueJob Restore(string id, QueueConfig config);
    int RestoreAll(string? queue);
    QueueJob Cancel(string id, QueueConfig config);
    bool ShiftRelativeTimes(TimeSpan jump, DateTimeOffset before);

    QueueJob? GetJob(string id, QueueConfig config);
    IReadOnlyList<QueueJob> ListJobs(JobFilter filter, QueueConfig config);
    (int Removed, int Running) RemoveJobs(JobFilter filter);
    IReadOnlyList<JobAttempt> GetAttempts(string id);
    QueueStatus GetStatus(TimeSpan workerStaleAfter);
    DateTimeOffset? NextDueAt(IReadOnlyList<string> queues);
    IReadOnlyList<string> ListQueues();
    IReadOnlyList<string> ListJobIds(string prefix, int limit);

    void RegisterWorker(QueueWorker worker, long? processStart, int? notifyPort);
    WorkerControl Heartbeat(string workerId, int leaseSeconds);
    WorkerControl ReadControl(string workerId);
    void SetWorkerState(string workerId, WorkerState state);
    IReadOnlyList<QueueWorker> ListWorkers(bool includeStopped);
    IReadOnlyList<string> RequestStop(IReadOnlyList<string> workerIds, StopRequest level);
    IReadOnlyList<(string Id, int Pid, long? ProcessStart, int? Port)> LocalWorkers(string host);
    void MarkWorkerLost(string workerId);
    void MarkSilentWorkersLost(TimeSpan silentFor);

    QueueConfig GetConfig();
    IReadOnlyList<QueueConfigEntry> GetConfigEntries();
    void SetConfig(ConfigKey key, double value);
}
