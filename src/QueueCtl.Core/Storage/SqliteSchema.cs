namespace QueueCtl.Core.Storage;

/// <summary>
/// The schema, versioned through PRAGMA user_version and marked as QueueCtl's through
/// PRAGMA application_id. Migrations only ever move forward; each entry brings the schema
/// from version i to i+1.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>"QCTL" in ASCII: tells a QueueCtl database from any other SQLite file.</summary>
    public const int ApplicationId = 0x5143544C;

    public static int CurrentVersion => Migrations.Length;

    public static readonly string[] Migrations =
    [
        // 1: jobs, their attempts, workers and configuration. Times are Unix milliseconds (UTC).
        """
        CREATE TABLE jobs (
            seq               INTEGER PRIMARY KEY,      -- enqueue order: breaks priority ties
            id                TEXT NOT NULL UNIQUE,
            command           TEXT NOT NULL,
            shell             TEXT NOT NULL,
            queue             TEXT NOT NULL,
            priority          INTEGER NOT NULL,
            state             TEXT NOT NULL,
            attempts          INTEGER NOT NULL DEFAULT 0,
            max_retries       INTEGER,                  -- NULL: the configured default
            timeout_sec       INTEGER,                  -- NULL: the configured default
            run_at            INTEGER NOT NULL,
            next_run_at       INTEGER NOT NULL,
            working_directory TEXT,
            environment       TEXT,                     -- JSON object of extra variables
            exit_code         INTEGER,
            last_error        TEXT,
            output            TEXT,
            created_at        INTEGER NOT NULL,
            updated_at        INTEGER NOT NULL,
            started_at        INTEGER,
            finished_at       INTEGER,
            duration_ms       INTEGER,
            worker_id         TEXT,
            lease_token       INTEGER,
            lease_expires_at  INTEGER,
            pid               INTEGER,                  -- the running command's process (group) id
            cancel_requested  INTEGER NOT NULL DEFAULT 0
        );
        -- The claim walks this index: O(log n) to the first due job.
        CREATE INDEX jobs_ready ON jobs(priority DESC, seq) WHERE state IN ('pending', 'failed');
        CREATE INDEX jobs_ready_by_queue ON jobs(queue, priority DESC, seq) WHERE state IN ('pending', 'failed');
        CREATE INDEX jobs_next_due ON jobs(next_run_at) WHERE state IN ('pending', 'failed');
        CREATE INDEX jobs_held ON jobs(worker_id, lease_expires_at) WHERE state = 'processing';
        CREATE INDEX jobs_by_state ON jobs(state, queue);

        CREATE TABLE attempts (
            attempt_id  INTEGER PRIMARY KEY,
            job_id      TEXT NOT NULL,
            number      INTEGER NOT NULL,
            worker_id   TEXT NOT NULL,
            lease_token INTEGER NOT NULL,
            started_at  INTEGER NOT NULL,
            finished_at INTEGER,
            outcome     TEXT NOT NULL,
            exit_code   INTEGER,
            error       TEXT,
            duration_ms INTEGER
        );
        CREATE INDEX attempts_by_job ON attempts(job_id, attempt_id);
        CREATE INDEX attempts_by_finish ON attempts(finished_at) WHERE finished_at IS NOT NULL;

        CREATE TABLE workers (
            id             TEXT PRIMARY KEY,
            host           TEXT NOT NULL,
            pid            INTEGER NOT NULL,
            process_start  INTEGER,                     -- tells a live worker from a reused pid
            queues         TEXT NOT NULL,               -- comma-separated; empty = every queue
            slots          INTEGER NOT NULL,
            started_at     INTEGER NOT NULL,
            heartbeat_at   INTEGER NOT NULL,
            state          TEXT NOT NULL,               -- running, stopping, stopped, lost
            stop_requested INTEGER NOT NULL DEFAULT 0,  -- 0 no, 1 gracefully, 2 at once
            notify_port    INTEGER,                     -- loopback UDP port that wakes it
            stopped_at     INTEGER,
            jobs_done      INTEGER NOT NULL DEFAULT 0,
            log_path       TEXT
        );

        CREATE TABLE config (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
        // 2: jobs remember whether their start time was given as an instant (run_at) or as a delay, so
        // that a jump of the wall clock can shift delays but leave instants alone; the record of the
        // last shift lets every worker that notices the same jump apply it only once.
        """
        ALTER TABLE jobs ADD COLUMN run_at_fixed INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
        // 3: an index over every job's state made each claim and each outcome move two of its entries
        // (a quarter of the claim's cost). Running jobs are found through jobs_held and ready ones
        // through the claim's indexes; the dead-letter queue, which people list and restore, gets a
        // small index of its own; listings of other states read the table in enqueue order.
        """
        DROP INDEX jobs_by_state;
        CREATE INDEX jobs_dead ON jobs(seq) WHERE state = 'dead';
        """,
        // 4: the next-due index only keeps the jobs that can be waiting for a time still to come: retries
        // (failed) and jobs enqueued with a delay or a run-at time, or handed back. A job enqueued to run
        // at once is due from the start (its run time is taken before its enqueue time); an idle worker
        // looks for the next due time only after its claim found nothing due, so leaving those jobs out
        // changes no answer, and enqueueing and claiming them moves one index entry fewer.
        """
        DROP INDEX jobs_next_due;
        CREATE INDEX jobs_next_due ON jobs(next_run_at) WHERE state = 'failed' OR (state = 'pending' AND next_run_at > created_at);
        """,
        // 5: an attempt's row is written once, when the attempt ends; while it runs, the job's own row
        // (processing, its attempt count, worker and start) is the attempt, and the history shows it from
        // there. Writing the row at the claim and again at the end had cost each job one more statement
        // and an index lookup. Rows an older worker opened for attempts it still runs stay for it to close
        // (the history hides them while they say 'running'); rows no attempt will close any more go.
        """
        DELETE FROM attempts
         WHERE outcome = 'running'
           AND NOT EXISTS (SELECT 1 FROM jobs
                            WHERE jobs.id = attempts.job_id AND jobs.state = 'processing' AND jobs.lease_token = attempts.lease_token);
        """,
        // 6: with every row written at its attempt's end, and that end taken under the write lock, the
        // attempts table is in the order of their ends: the count of the last minute's ends walks back
        // from the newest row instead of keeping an index over every end (one entry per job).
        """
        DROP INDEX attempts_by_finish;
        """,
        // 7: the running jobs' index keys on the worker alone: renewing a lease no longer moves its jobs'
        // entries. Its new name also stops workers of versions before schema 5, which would go on
        // opening attempt rows at their claims: their claim pins the old name, fails, and they stop with
        // DatabaseTooNew (as after any upgrade), closing the rows of the attempts they had started.
        """
        DROP INDEX jobs_held;
        CREATE INDEX jobs_held_by_worker ON jobs(worker_id) WHERE state = 'processing';
        """,
        // 8: a job enqueued on its own waits in jobs_inbox, a table with no index, until the next other
        // transaction moves it into jobs (SqliteQueueStore.Inbox.cs). Its commit then writes one B-tree
        // page instead of four (jobs, its id index and the two ready indexes), which had held a single
        // enqueue to a third of the commit rate. Versions before this one would not see those jobs; the
        // new version number stops them (DatabaseTooNew), as after any upgrade.
        """
        CREATE TABLE jobs_inbox (
            seq               INTEGER PRIMARY KEY,      -- the order jobs came in, kept when they move
            id                TEXT NOT NULL,            -- made by Core (given ids go to jobs), checked against jobs
            command           TEXT NOT NULL,
            shell             TEXT NOT NULL,
            queue             TEXT NOT NULL,
            priority          INTEGER NOT NULL,
            max_retries       INTEGER,
            timeout_sec       INTEGER,
            run_at            INTEGER NOT NULL,
            run_at_fixed      INTEGER NOT NULL,
            working_directory TEXT,
            environment       TEXT,
            created_at        INTEGER NOT NULL
        );
        """,
    ];
}
