using QueueCtl.Core.Workers;

namespace QueueCtl.Core.Storage;

internal sealed partial class SqliteQueueStore
{
    public void RegisterWorker(QueueWorker worker, long? processStart, int? notifyPort) => Write(() =>
    {
        // Forget workers that stopped more than a day ago: the list stays about the present.
        var prune = Command("DELETE FROM workers WHERE state IN ('stopped', 'lost') AND coalesce(stopped_at, heartbeat_at) < $cutoff");
        With(prune, "$cutoff", NowMs - 86_400_000);
        prune.ExecuteNonQuery();
        var insert = Command("""
            INSERT INTO workers (id, host, pid, process_start, queues, slots, started_at, heartbeat_at, state, notify_port, log_path)
            VALUES ($id, $host, $pid, $process_start, $queues, $slots, $now, $now, 'running', $port, $log)
            ON CONFLICT(id) DO UPDATE SET host = excluded.host, pid = excluded.pid, process_start = excluded.process_start,
                queues = excluded.queues, slots = excluded.slots, started_at = excluded.started_at,
                heartbeat_at = excluded.heartbeat_at, state = 'running', stop_requested = 0,
                notify_port = excluded.notify_port, stopped_at = NULL, log_path = coalesce(excluded.log_path, workers.log_path)
            """);
        With(insert, "$id", worker.Id);
        With(insert, "$host", worker.Host);
        With(insert, "$pid", worker.ProcessId);
        With(insert, "$process_start", processStart);
        With(insert, "$queues", string.Join(",", worker.Queues));
        With(insert, "$slots", worker.Slots);
        With(insert, "$now", NowMs);
        With(insert, "$port", notifyPort);
        With(insert, "$log", worker.LogPath);
        insert.ExecuteNonQuery();
        return 0;
    });

    /// <summary>Renews the worker's heartbeat and the leases of every job it holds; returns its instructions.</summary>
    public WorkerControl Heartbeat(string workerId, int leaseSeconds) => Write(() =>
    {
        var now = NowMs;
        var beat = Command("UPDATE workers SET heartbeat_at = $now, state = CASE WHEN state = 'lost' THEN 'running' ELSE state END WHERE id = $id");
        With(beat, "$now", now);
        With(beat, "$id", workerId);
        beat.ExecuteNonQuery();
        var renew = Command("UPDATE jobs SET lease_expires_at = $expires WHERE worker_id = $id AND state = 'processing'");
        With(renew, "$expires", now + leaseSeconds * 1000L);
        With(renew, "$id", workerId);
        renew.ExecuteNonQuery();
        return ReadControlUnlocked(workerId);
    });

    /// <summary>The worker's instructions, without writing anything (checked whenever it is woken).</summary>
    public WorkerControl ReadControl(string workerId) => Read(() => ReadControlUnlocked(workerId), moveInbox: false);

    private WorkerControl ReadControlUnlocked(string workerId)
    {
        var stop = Command("SELECT stop_requested FROM workers WHERE id = $id");
        With(stop, "$id", workerId);
        var level = stop.ExecuteScalar() is long l ? (StopRequest)l : StopRequest.None;
        var cancel = Command("SELECT id FROM jobs WHERE worker_id = $id AND state = 'processing' AND cancel_requested = 1");
        With(cancel, "$id", workerId);
        var ids = new List<string>();
        using (var r = cancel.ExecuteReader()) while (r.Read()) ids.Add(r.GetString(0));
        return new WorkerControl(level, ids);
    }

    public void SetWorkerState(string workerId, WorkerState state) => Write(() =>
    {
        var command = Command("UPDATE workers SET state = $state, stopped_at = CASE WHEN $state IN ('stopped', 'lost') THEN $now ELSE stopped_at END WHERE id = $id");
        With(command, "$state", state.ToString().ToLowerInvariant());
        With(command, "$now", NowMs);
        With(command, "$id", workerId);
        return command.ExecuteNonQuery();
    });

    public IReadOnlyList<QueueWorker> ListWorkers(bool includeStopped) => Read(() =>
    {
        var command = Command($"""
            SELECT w.id, w.host, w.pid, w.queues, w.slots, w.state, w.started_at, w.heartbeat_at, w.stopped_at,
                   w.jobs_done, w.log_path,
                   (SELECT count(*) FROM jobs j WHERE j.worker_id = w.id AND j.state = 'processing')
              FROM workers w {(includeStopped ? "" : "WHERE w.state IN ('running', 'stopping')")}
             ORDER BY w.started_at, w.id
            """);
        var workers = new List<QueueWorker>();
        using var r = command.ExecuteReader();
        while (r.Read())
            workers.Add(new QueueWorker
            {
                Id = r.GetString(0), Host = r.GetString(1), ProcessId = r.GetInt32(2),
                Queues = r.GetString(3).Split(',', StringSplitOptions.RemoveEmptyEntries),
                Slots = r.GetInt32(4), State = Enum.Parse<WorkerState>(r.GetString(5), ignoreCase: true),
                StartedAt = FromMs(r.GetInt64(6)), HeartbeatAt = FromMs(r.GetInt64(7)), StoppedAt = FromMs(r, 8),
                JobsDone = r.GetInt64(9), LogPath = Text(r, 10), Running = r.GetInt32(11),
            });
        return workers;
    }, moveInbox: false);

    /// <summary>Asks workers (all live ones, or those named) to stop. Returns the ids it asked.</summary>
    public IReadOnlyList<string> RequestStop(IReadOnlyList<string> workerIds, StopRequest level) => Write(() =>
    {
        var filter = workerIds.Count == 0 ? "" : $"AND id IN ({string.Join(", ", workerIds.Select((_, i) => $"$w{i}"))})";
        var command = Command($"""
            UPDATE workers SET stop_requested = max(stop_requested, $level),
                               state = CASE WHEN state = 'running' THEN 'stopping' ELSE state END
             WHERE state IN ('running', 'stopping') {filter}
            RETURNING id
            """);
        With(command, "$level", (int)level);
        for (var i = 0; i < workerIds.Count; i++) With(command, $"$w{i}", workerIds[i]);
        var ids = new List<string>();
        using var r = command.ExecuteReader();
        while (r.Read()) ids.Add(r.GetString(0));
        return ids;
    });

    /// <summary>Live workers on this host, with what tells whether their process still runs.</summary>
    public IReadOnlyList<(string Id, int Pid, long? ProcessStart, int? Port)> LocalWorkers(string host) => Read(() =>
    {
        var command = Command("SELECT id, pid, process_start, notify_port FROM workers WHERE host = $host AND state IN ('running', 'stopping')");
        With(command, "$host", host);
        var workers = new List<(string, int, long?, int?)>();
        using var r = command.ExecuteReader();
        while (r.Read()) workers.Add((r.GetString(0), r.GetInt32(1), r.IsDBNull(2) ? null : r.GetInt64(2), Int(r, 3)));
        return workers;
    }, moveInbox: false);

    /// <summary>
    /// A worker found dead: marks it lost and lets the leases of its jobs run out now, so that
    /// recovery need not wait for lease_seconds.
    /// </summary>
    public void MarkWorkerLost(string workerId) => Write(() =>
    {
        var worker = Command("UPDATE workers SET state = 'lost', stopped_at = $now WHERE id = $id AND state IN ('running', 'stopping')");
        With(worker, "$now", NowMs);
        With(worker, "$id", workerId);
        if (worker.ExecuteNonQuery() == 0) return 0;
        var jobs = Command("UPDATE jobs SET lease_expires_at = 0 WHERE worker_id = $id AND state = 'processing'");
        With(jobs, "$id", workerId);
        return jobs.ExecuteNonQuery();
    });

    /// <summary>Workers on other hosts that stopped heartbeating long ago are shown as lost.</summary>
    public void MarkSilentWorkersLost(TimeSpan silentFor)
    {
        // Every worker asks at its start and with each heartbeat, and nearly always there are none:
        // a read does not wait for the write lock, nor make the other workers wait for it.
        const string silent = "state IN ('running', 'stopping') AND heartbeat_at < $cutoff";
        var cutoff = NowMs - (long)silentFor.TotalMilliseconds;
        var any = Read(() =>
        {
            var look = Command($"SELECT EXISTS (SELECT 1 FROM workers WHERE {silent})");
            With(look, "$cutoff", cutoff);
            return (long)look.ExecuteScalar()! != 0;
        }, moveInbox: false);
        if (!any) return;
        Write(() =>
        {
            var command = Command($"UPDATE workers SET state = 'lost', stopped_at = $now WHERE {silent}");
            With(command, "$now", NowMs);
            With(command, "$cutoff", cutoff);
            return command.ExecuteNonQuery();
        });
    }
}
