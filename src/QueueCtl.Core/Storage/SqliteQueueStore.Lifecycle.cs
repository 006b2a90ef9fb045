using Microsoft.Data.Sqlite;
using QueueCtl.Core.Config;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;

namespace QueueCtl.Core.Storage;

// The job state machine's SQL. The rules it applies live in Jobs/JobLifecycle.cs.
internal sealed partial class SqliteQueueStore
{
    // The claim runs through RawStatement (positional parameters); the queue filter's parameters
    // follow from ?6.
    private const string ClaimSql = """
        UPDATE jobs
           SET state = 'processing', attempts = attempts + 1, worker_id = ?1, lease_token = ?2,
               lease_expires_at = ?3, started_at = ?4, updated_at = ?4, finished_at = NULL,
               duration_ms = NULL, pid = NULL, cancel_requested = 0
         WHERE seq IN (SELECT seq FROM jobs INDEXED BY {1}
                        WHERE state IN ('pending', 'failed') AND next_run_at <= ?4 {0}
                        ORDER BY priority DESC, seq
                        LIMIT ?5)
        RETURNING id, attempts, command, shell, queue, priority, max_retries, timeout_sec,
                  working_directory, environment, seq
        """;

    /// <summary>
    /// Claims up to <paramref name="limit"/> due jobs in one statement (highest priority first, then
    /// enqueue order), each under a fresh lease token. No attempt row is written yet: until the
    /// attempt ends, the job's row is its record (schema 5).
    /// </summary>
    public IReadOnlyList<ClaimedJob> Claim(string workerId, IReadOnlyList<string> queues, int limit, QueueConfig config)
    {
        if (limit <= 0) return [];
        var now = _clock.UtcNow;
        var nowMs = Ms(now);
        return Write(() =>
        {
            var token = NewLeaseToken();
            var claim = Statement(ClaimStatement(queues))
                .Bind(1, workerId).Bind(2, token).Bind(3, nowMs + config.LeaseSeconds * 1000L).Bind(4, nowMs).Bind(5, limit);
            for (var i = 0; i < queues.Count; i++) claim.Bind(6 + i, queues[i]);

            var claimed = new List<(long Seq, ClaimedJob Job)>(limit);
            while (claim.Step())
            {
                claimed.Add((claim.Int64(10), new ClaimedJob(
                    Id: claim.Text(0), LeaseToken: token, Attempt: claim.Int32(1), Command: claim.Text(2),
                    Shell: ParseShell(claim.Text(3)), Queue: claim.Text(4), Priority: claim.Int32(5),
                    MaxRetries: claim.Int32OrNull(6) ?? config.MaxRetries, TimeoutSec: claim.Int32OrNull(7) ?? config.JobTimeout,
                    WorkingDirectory: claim.TextOrNull(8), Environment: ParseEnvironment(claim.TextOrNull(9)), StartedAt: now)));
            }
            if (claimed.Count == 0) return [];
            // RETURNING gives no order: hand jobs out in the order they were chosen.
            return claimed.OrderByDescending(c => c.Job.Priority).ThenBy(c => c.Seq).Select(c => c.Job).ToList();
        });
    }

    /// <summary>The claim statement for a set of queues (empty = all), with its index pinned.</summary>
    internal static string ClaimStatement(IReadOnlyList<string> queues)
    {
        var filter = queues.Count == 0 ? "" : $"AND queue IN ({string.Join(", ", queues.Select((_, i) => $"?{6 + i}"))})";
        // Pinned, not left to the planner: without statistics SQLite prefers jobs_by_state and sorts every
        // ready job (181 ms per claim at 1,000,000 queued instead of 0.2 ms). One queue seeks straight to
        // its slice of the ready index; several queues walk the ready index and skip other queues' jobs.
        var index = queues.Count == 1 ? "jobs_ready_by_queue" : "jobs_ready";
        return string.Format(System.Globalization.CultureInfo.InvariantCulture, ClaimSql, filter, index);
    }

    /// <summary>Remembers the process group running an attempt, so that it can be ended if its worker dies.</summary>
    public bool RecordProcess(ClaimedJob job, int pid) => RecordProcesses([(job, pid)]) == 1;

    /// <summary>
    /// <see cref="RecordProcess"/> for several attempts in one transaction; returns how many were
    /// recorded (an attempt that has already ended, or lost its lease, is left alone).
    /// </summary>
    public int RecordProcesses(IReadOnlyList<(ClaimedJob Job, int Pid)> started) => Write(() =>
    {
        var recorded = 0;
        var record = Statement("UPDATE jobs SET pid = ?1 WHERE id = ?2 AND lease_token = ?3 AND state = 'processing'");
        foreach (var (job, pid) in started)
            recorded += record.Bind(1, pid).Bind(2, job.Id).Bind(3, job.LeaseToken).Run();
        return recorded;
    });

    // Outcomes are written one statement per job: these run through RawStatement (positional parameters).
    private const string FinishJobSql = """
        UPDATE jobs
           SET state = ?1, exit_code = ?2, last_error = ?3, output = ?4,
               finished_at = ?5, duration_ms = ?5 - started_at, updated_at = ?5,
               next_run_at = COALESCE(?6, next_run_at), lease_token = NULL, lease_expires_at = NULL,
               pid = NULL, cancel_requested = 0
         WHERE id = ?7 AND lease_token = ?8 AND state = 'processing'
        """;

    private const string HandBackJobSql = """
        UPDATE jobs
           SET state = 'pending', attempts = attempts - 1, next_run_at = ?1, updated_at = ?1,
               worker_id = NULL, lease_token = NULL, lease_expires_at = NULL, pid = NULL, cancel_requested = 0
         WHERE id = ?2 AND lease_token = ?3 AND state = 'processing'
        """;

    // An ended attempt's row, written once (schema 5). Its start is the claim's, which the worker holds.
    private const string InsertAttemptSql = """
        INSERT INTO attempts (job_id, number, worker_id, lease_token, started_at, finished_at, outcome, exit_code, error, duration_ms)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?6 - ?5)
        """;

    /// <summary>
    /// Records how attempts ended, all in one transaction, each with its attempt row. An attempt whose
    /// lease token no longer matches (its job was taken over) changes nothing, and is reported back as
    /// not applied. <paramref name="workerId"/> is the worker that claimed them: only it holds their
    /// lease tokens, and their rows name it.
    /// </summary>
    public IReadOnlyList<FinishResult> Finish(string workerId, IReadOnlyList<(ClaimedJob Job, AttemptResult Result)> attempts, QueueConfig config)
    {
        if (attempts.Count == 0) return [];
        return Write(() =>
        {
            // Taken under the write lock, so that attempts' ends follow the order of their rows (GetStatus relies on it).
            var now = _clock.UtcNow;
            var nowMs = Ms(now);
            var results = new List<FinishResult>(attempts.Count);
            var done = 0;
            // Looked up once per batch, not once per job.
            var (finish, handBack, record) = (Statement(FinishJobSql), Statement(HandBackJobSql), Statement(InsertAttemptSql));
            foreach (var (job, result) in attempts)
            {
                var (state, retryAt) = JobLifecycle.AfterAttempt(result.Outcome, job.Attempt, job.MaxRetries, config, now, Random.Shared.NextDouble());
                var applied = result.Outcome == AttemptOutcome.HandedBack
                    ? handBack.Bind(1, nowMs).Bind(2, job.Id).Bind(3, job.LeaseToken).Run() == 1
                    : finish
                        .Bind(1, JobLifecycle.StateName(state)).Bind(2, result.ExitCode).Bind(3, result.Error).Bind(4, result.Output)
                        .Bind(5, nowMs).Bind(6, retryAt is { } at ? Ms(at) : null).Bind(7, job.Id).Bind(8, job.LeaseToken)
                        .Run() == 1;
                if (applied)
                {
                    record
                        .Bind(1, job.Id).Bind(2, job.Attempt).Bind(3, workerId).Bind(4, job.LeaseToken).Bind(5, Ms(job.StartedAt))
                        .Bind(6, nowMs).Bind(7, JobLifecycle.OutcomeName(result.Outcome)).Bind(8, result.ExitCode).Bind(9, result.Error)
                        .Run();
                    if (result.Outcome != AttemptOutcome.HandedBack) done++;
                }
                results.Add(new FinishResult(job, result, applied, applied ? state : null, applied ? retryAt : null));
            }
            if (done > 0)
            {
                var count = Command("UPDATE workers SET jobs_done = jobs_done + $n WHERE id = $worker");
                With(count, "$n", done);
                With(count, "$worker", workerId);
                count.ExecuteNonQuery();
            }
            return results;
        });
    }

    // FinishJobSql for a lost attempt, guarded by the lease having run out. A job a person asked to
    // stop (cancel_requested) goes to the DLQ as cancelled instead of being retried.
    private const string LostAttemptSql = """
        UPDATE jobs
           SET state = CASE WHEN cancel_requested = 1 THEN 'dead' ELSE $state END,
               exit_code = NULL, output = NULL,
               last_error = CASE WHEN cancel_requested = 1 THEN 'cancelled by user' ELSE $error END,
               finished_at = $now, duration_ms = $now - started_at, updated_at = $now,
               next_run_at = CASE WHEN cancel_requested = 1 THEN next_run_at ELSE COALESCE($retry_at, next_run_at) END,
               lease_token = NULL, lease_expires_at = NULL, pid = NULL, cancel_requested = 0
         WHERE id = $id AND lease_token = $token AND state = 'processing' AND lease_expires_at < $now
        """;

    // The lost attempt's row, from the job's row as LostAttemptSql left it (the worker, start and end are there).
    private const string InsertLostAttemptSql = """
        INSERT INTO attempts (job_id, number, worker_id, lease_token, started_at, finished_at, outcome, error, duration_ms)
        SELECT id, attempts, worker_id, $token, started_at, finished_at, $outcome, $error, duration_ms
          FROM jobs WHERE id = $id
        """;

    /// <summary>The processing jobs whose lease has run out, with where their process ran.</summary>
    public IReadOnlyList<ExpiredLease> FindExpiredLeases() => Read(() =>
    {
        var command = Command("""
            SELECT j.id, j.lease_token, j.attempts, j.max_retries, j.pid, w.host, j.worker_id
              FROM jobs j LEFT JOIN workers w ON w.id = j.worker_id
             WHERE j.state = 'processing' AND j.lease_expires_at < $now
            """);
        With(command, "$now", NowMs);
        var expired = new List<ExpiredLease>();
        using var r = command.ExecuteReader();
        while (r.Read())
            expired.Add(new ExpiredLease(r.GetString(0), r.GetInt64(1), r.GetInt32(2), Int(r, 3), Int(r, 4), Text(r, 5), Text(r, 6)));
        return expired;
    }, moveInbox: false);

    /// <summary>
    /// Charges a lost attempt ("worker lost") and applies the retry policy, if the lease is still the
    /// expired one: a worker that renewed in the meantime keeps its job.
    /// </summary>
    public bool FailLostAttempt(ExpiredLease lease, QueueConfig config)
    {
        var maxRetries = lease.MaxRetries ?? config.MaxRetries;
        const string error = "worker lost: its worker stopped renewing the lease (crashed, killed or frozen)";
        return Write(() =>
        {
            var now = _clock.UtcNow; // under the write lock, as in Finish
            var (state, retryAt) = JobLifecycle.AfterAttempt(AttemptOutcome.WorkerLost, lease.Attempt, maxRetries, config, now, Random.Shared.NextDouble());
            var update = Command(LostAttemptSql);
            With(update, "$state", JobLifecycle.StateName(state));
            With(update, "$error", error);
            With(update, "$retry_at", retryAt is { } at ? Ms(at) : null);
            With(update, "$now", Ms(now));
            With(update, "$id", lease.JobId);
            With(update, "$token", lease.LeaseToken);
            if (update.ExecuteNonQuery() != 1) return false;
            // A worker older than schema 5 opened a row for the attempt at its claim: the row written here replaces it.
            var opened = Command("DELETE FROM attempts WHERE job_id = $id AND lease_token = $token AND outcome = 'running'");
            With(opened, "$id", lease.JobId);
            With(opened, "$token", lease.LeaseToken);
            opened.ExecuteNonQuery();
            var record = Command(InsertLostAttemptSql);
            With(record, "$token", lease.LeaseToken);
            With(record, "$outcome", JobLifecycle.OutcomeName(AttemptOutcome.WorkerLost));
            With(record, "$error", error);
            With(record, "$id", lease.JobId);
            record.ExecuteNonQuery();
            return true;
        });
    }

    /// <summary>Moves a dead job back to pending with its attempts reset; its history is kept.</summary>
    public QueueJob Restore(string id, QueueConfig config)
    {
        var restored = Write(() =>
        {
            var command = Command("""
                UPDATE jobs SET state = 'pending', attempts = 0, next_run_at = $now, updated_at = $now, cancel_requested = 0
                 WHERE id = $id AND state = 'dead'
                """);
            With(command, "$now", NowMs);
            With(command, "$id", id);
            return command.ExecuteNonQuery() == 1;
        });
        var job = GetJob(id, config) ?? throw JobNotFound(id);
        if (!restored)
            throw new QueueException(QueueErrorKind.Conflict, "JobNotDead",
                $"Job '{id}' is {JobLifecycle.StateName(job.State)}, not dead, so it was not restored. Only jobs in the dead-letter queue can be restored.", id);
        return job;
    }

    /// <summary>Restores every dead job (of one queue, if given). Returns how many.</summary>
    public int RestoreAll(string? queue) => Write(() =>
    {
        var command = Command($"""
            UPDATE jobs SET state = 'pending', attempts = 0, next_run_at = $now, updated_at = $now, cancel_requested = 0
             WHERE state = 'dead' {(queue is null ? "" : "AND queue = $queue")}
            """);
        With(command, "$now", NowMs);
        if (queue is not null) With(command, "$queue", queue);
        return command.ExecuteNonQuery();
    });

    /// <summary>
    /// Cancels a job: a waiting one goes straight to the DLQ; a running one is flagged, and its
    /// worker ends the process and records the attempt as cancelled.
    /// </summary>
    public QueueJob Cancel(string id, QueueConfig config)
    {
        Write(() =>
        {
            var command = Command("""
                UPDATE jobs SET state = CASE WHEN state = 'processing' THEN state ELSE 'dead' END,
                                last_error = CASE WHEN state = 'processing' THEN last_error ELSE 'cancelled by user' END,
                                cancel_requested = CASE WHEN state = 'processing' THEN 1 ELSE 0 END,
                                updated_at = $now
                 WHERE id = $id AND state IN ('pending', 'failed', 'processing')
                """);
            With(command, "$now", NowMs);
            With(command, "$id", id);
            return command.ExecuteNonQuery();
        });
        var job = GetJob(id, config) ?? throw JobNotFound(id);
        if (job.State is JobState.Completed || (job.State is JobState.Dead && job.LastError != "cancelled by user"))
            throw new QueueException(QueueErrorKind.Conflict, "JobAlreadyFinished",
                $"Job '{id}' is already {JobLifecycle.StateName(job.State)}; there is nothing to stop.", id);
        return job;
    }

    internal static QueueException JobNotFound(string id) =>
        new(QueueErrorKind.NotFound, "JobNotFound", $"There is no job with id '{id}'. List jobs with 'queuectl list' or Get-QueueJob.", id);

    private static long NewLeaseToken()
    {
        Span<byte> bytes = stackalloc byte[8];
        SecureRandom.Fill(bytes);
        return BitConverter.ToInt64(bytes) & long.MaxValue;
    }
}

/// <summary>How recording one attempt went: whether the lease still held, and where the job went.</summary>
public sealed record FinishResult(ClaimedJob Job, AttemptResult Result, bool Applied, JobState? NewState, DateTimeOffset? RetryAt);

/// <summary>A processing job whose lease ran out, and where its command ran.</summary>
public sealed record ExpiredLease(string JobId, long LeaseToken, int Attempt, int? MaxRetries, int? Pid, string? Host, string? WorkerId);
