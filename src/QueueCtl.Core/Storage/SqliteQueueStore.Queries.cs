using QueueCtl.Core.Config;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Status;

namespace QueueCtl.Core.Storage;

internal sealed partial class SqliteQueueStore
{
    public QueueJob? GetJob(string id, QueueConfig config) => Read(() =>
    {
        var command = Command($"SELECT {JobColumns} FROM jobs WHERE id = $id");
        With(command, "$id", id);
        using var r = command.ExecuteReader();
        return r.Read() ? ReadJob(r, config) : null;
    });

    public IReadOnlyList<QueueJob> ListJobs(JobFilter filter, QueueConfig config) => Read(() =>
    {
        var (sql, parameters) = ListStatement(filter);
        var command = Command(sql);
        foreach (var (name, value) in parameters) With(command, name, value);
        var jobs = new List<QueueJob>();
        using var r = command.ExecuteReader();
        while (r.Read()) jobs.Add(ReadJob(r, config));
        return jobs;
    });

    /// <summary>Deletes matching jobs and their history. Running jobs are never deleted: they are left and counted.</summary>
    public (int Removed, int Running) RemoveJobs(JobFilter filter) => Write(() =>
    {
        var (where, parameters) = BuildWhere(filter);
        var condition = where.Length == 0 ? "WHERE" : where + " AND";
        var running = Command($"SELECT count(*) FROM jobs {condition} state = 'processing'");
        foreach (var (name, value) in parameters) With(running, name, value);
        var runningCount = Convert.ToInt32(running.ExecuteScalar());
        var limit = filter.Limit is null ? "" : " ORDER BY seq LIMIT $limit";
        var history = Command($"DELETE FROM attempts WHERE job_id IN (SELECT id FROM jobs {condition} state <> 'processing'{limit})");
        var jobs = Command($"DELETE FROM jobs WHERE seq IN (SELECT seq FROM jobs {condition} state <> 'processing'{limit})");
        foreach (var command in new[] { history, jobs })
        {
            foreach (var (name, value) in parameters) With(command, name, value);
            if (filter.Limit is { } n) With(command, "$limit", n);
        }
        history.ExecuteNonQuery();
        return (jobs.ExecuteNonQuery(), runningCount);
    });

    /// <summary>The listing statement for a filter (oldest first), with its parameters.</summary>
    internal static (string Sql, List<(string, object)> Parameters) ListStatement(JobFilter filter)
    {
        var (where, parameters) = BuildWhere(filter);
        if (filter.Limit is { } limit) parameters.Add(("$limit", limit));
        return ($"SELECT {JobColumns} FROM jobs {OneStateIndex(filter)} {where} ORDER BY seq {(filter.Limit is null ? "" : "LIMIT $limit")}", parameters);
    }

    // Without statistics the planner walks the whole table in seq order rather than sort the few
    // running or dead jobs that these partial indexes hold.
    private static string OneStateIndex(JobFilter filter) => filter.States.Distinct().ToList() switch
    {
        [JobState.Processing] => "INDEXED BY jobs_held_by_worker",
        [JobState.Dead] => "INDEXED BY jobs_dead",
        _ => "",
    };

    private static (string Where, List<(string, object)> Parameters) BuildWhere(JobFilter filter)
    {
        var terms = new List<string>();
        var parameters = new List<(string, object)>();
        void In(string column, IReadOnlyList<string> values, string prefix)
        {
            if (values.Count == 0) return;
            terms.Add($"{column} IN ({string.Join(", ", values.Select((_, i) => $"${prefix}{i}"))})");
            parameters.AddRange(values.Select((v, i) => ($"${prefix}{i}", (object)v)));
        }
        In("id", filter.Ids, "id");
        // States are written as literals (they are the enum's own names, never user text) so that a
        // filter on one state can use that state's partial index: jobs_dead, jobs_held_by_worker.
        var states = filter.States.Select(JobLifecycle.StateName).Distinct().ToList();
        if (states.Count == 1) terms.Add($"state = '{states[0]}'");
        else if (states.Count > 1) terms.Add($"state IN ({string.Join(", ", states.Select(s => $"'{s}'"))})");
        In("queue", filter.Queues, "qu");
        if (filter.UpdatedBefore is { } before)
        {
            terms.Add("updated_at < $before");
            parameters.Add(("$before", Ms(before)));
        }
        return (terms.Count == 0 ? "" : "WHERE " + string.Join(" AND ", terms), parameters);
    }

    /// <summary>
    /// A job's attempts, oldest first; one still running comes last, read from the job's row (schema 5).
    /// A row that says 'running' was opened by a worker older than schema 5: the job's row shows it.
    /// </summary>
    public IReadOnlyList<JobAttempt> GetAttempts(string id) => Read(() =>
    {
        var command = Command("""
            SELECT job_id, number, worker_id, started_at, finished_at, outcome, exit_code, error
              FROM (SELECT 0 AS running, attempt_id, job_id, number, worker_id, started_at, finished_at, outcome, exit_code, error
                      FROM attempts WHERE job_id = $id AND outcome <> 'running'
                    UNION ALL
                    SELECT 1, 0, id, attempts, worker_id, started_at, NULL, 'running', NULL, NULL
                      FROM jobs WHERE id = $id AND state = 'processing')
             ORDER BY running, attempt_id
            """);
        With(command, "$id", id);
        var attempts = new List<JobAttempt>();
        using var r = command.ExecuteReader();
        while (r.Read())
            attempts.Add(new JobAttempt
            {
                JobId = r.GetString(0), Number = r.GetInt32(1), WorkerId = r.GetString(2),
                StartedAt = FromMs(r.GetInt64(3)), FinishedAt = FromMs(r, 4),
                Outcome = JobLifecycle.ParseOutcome(r.GetString(5)), ExitCode = Int(r, 6), Error = Text(r, 7),
            });
        return attempts;
    }, moveInbox: false);

    public QueueStatus GetStatus(TimeSpan workerStaleAfter) => Read(() =>
    {
        var now = NowMs;
        var counts = Command("""
            SELECT queue, state, count(*), sum(CASE WHEN state IN ('pending', 'failed') AND next_run_at > $now THEN 1 ELSE 0 END)
              FROM jobs GROUP BY queue, state ORDER BY queue
            """);
        With(counts, "$now", now);
        var perQueue = new SortedDictionary<string, Dictionary<string, (long Count, long Scheduled)>>(StringComparer.Ordinal);
        using (var r = counts.ExecuteReader())
        {
            while (r.Read())
            {
                var states = perQueue.TryGetValue(r.GetString(0), out var s) ? s : perQueue[r.GetString(0)] = new();
                states[r.GetString(1)] = (r.GetInt64(2), r.GetInt64(3));
            }
        }
        long Count(Dictionary<string, (long Count, long Scheduled)> s, string state) => s.TryGetValue(state, out var c) ? c.Count : 0;
        var queues = perQueue.Select(q => new QueueCounts
        {
            Queue = q.Key, Pending = Count(q.Value, "pending"), Processing = Count(q.Value, "processing"),
            Completed = Count(q.Value, "completed"), Failed = Count(q.Value, "failed"), Dead = Count(q.Value, "dead"),
            Scheduled = q.Value.Values.Sum(v => v.Scheduled),
        }).ToList();

        var workers = Command("SELECT count(*), coalesce(sum(slots), 0) FROM workers WHERE state IN ('running', 'stopping') AND heartbeat_at >= $since");
        With(workers, "$since", now - (long)workerStaleAfter.TotalMilliseconds);
        int workerCount, slots;
        using (var r = workers.ExecuteReader()) { r.Read(); workerCount = r.GetInt32(0); slots = r.GetInt32(1); }

        // Durations over the most recent successes: bounded work however long the history grows.
        var durations = Command("""
            SELECT duration_ms FROM attempts
             WHERE attempt_id > (SELECT coalesce(max(attempt_id), 0) - 10000 FROM attempts) AND outcome = 'succeeded'
             ORDER BY duration_ms
            """);
        var samples = new List<long>();
        using (var r = durations.ExecuteReader()) while (r.Read()) samples.Add(r.GetInt64(0));

        // Rows are in the order of their ends (schema 6): walk back from the newest to one that ended well
        // before the minute (10 s of slack for a clock stepped back), then count the rows after it.
        var recent = Command("""
            SELECT count(*) FROM attempts
             WHERE attempt_id > coalesce((SELECT attempt_id FROM attempts WHERE finished_at < $since - 10000 ORDER BY attempt_id DESC LIMIT 1), 0)
               AND finished_at >= $since
            """);
        With(recent, "$since", now - 60_000);
        var finishedLastMinute = Convert.ToInt64(recent.ExecuteScalar());

        return new QueueStatus
        {
            Database = Path,
            Pending = queues.Sum(q => q.Pending), Scheduled = queues.Sum(q => q.Scheduled),
            Processing = queues.Sum(q => q.Processing), Completed = queues.Sum(q => q.Completed),
            Failed = queues.Sum(q => q.Failed), Dead = queues.Sum(q => q.Dead),
            Workers = workerCount, Slots = slots,
            AverageDuration = samples.Count == 0 ? null : TimeSpan.FromMilliseconds(samples.Average()),
            P95Duration = samples.Count == 0 ? null : TimeSpan.FromMilliseconds(samples[(int)Math.Ceiling(samples.Count * 0.95) - 1]),
            Throughput = finishedLastMinute / 60.0,
            Queues = queues,
        };
    });

    /// <summary>
    /// The jobs that may be waiting for a time still to come: the condition of the partial index
    /// jobs_next_due (schema 4), written the same way so that SQLite can use that index.
    /// </summary>
    internal const string WaitingForATime = "(state = 'failed' OR (state = 'pending' AND next_run_at > created_at))";

    /// <summary>
    /// When the next job waiting for its time becomes due, if any: how long an idle worker may sleep.
    /// Jobs enqueued to run at once are not counted (they are due already, and only a claim that
    /// found nothing due asks): their enqueuer's wake-up is what brings a worker to them.
    /// </summary>
    public DateTimeOffset? NextDueAt(IReadOnlyList<string> queues) => Read<DateTimeOffset?>(() =>
    {
        var filter = queues.Count == 0 ? "" : $"AND queue IN ({string.Join(", ", queues.Select((_, i) => $"$q{i}"))})";
        var command = Command($"SELECT min(next_run_at) FROM jobs INDEXED BY jobs_next_due WHERE {WaitingForATime} {filter}");
        for (var i = 0; i < queues.Count; i++) With(command, $"$q{i}", queues[i]);
        var value = command.ExecuteScalar();
        return value is long ms ? FromMs(ms) : null;
    });

    public IReadOnlyList<string> ListQueues() => Read(() =>
    {
        var command = Command("SELECT DISTINCT queue FROM jobs ORDER BY queue");
        var queues = new List<string>();
        using var r = command.ExecuteReader();
        while (r.Read()) queues.Add(r.GetString(0));
        return queues;
    });

    public IReadOnlyList<string> ListJobIds(string prefix, int limit) => Read(() =>
    {
        var command = Command("SELECT id FROM jobs WHERE id >= $prefix AND id < $end ORDER BY id LIMIT $limit");
        With(command, "$prefix", prefix);
        With(command, "$end", prefix + "\uffff");
        With(command, "$limit", limit);
        var ids = new List<string>();
        using var r = command.ExecuteReader();
        while (r.Read()) ids.Add(r.GetString(0));
        return ids;
    });
}
