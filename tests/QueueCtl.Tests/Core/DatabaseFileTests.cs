using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using QueueCtl.Core;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;
using QueueCtl.Tests.Support;

namespace QueueCtl.Tests.Core;

/// <summary>The queue file: what is refused (and left byte for byte as it was), what is created, what survives a restart.</summary>
public class DatabaseFileTests
{
    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static void RawSql(string path, params string[] statements)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        foreach (var sql in statements)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Opening must fail with this error, and leave the file and its folder exactly as they were.</summary>
    private static QueueException RefusedUnchanged(TempQueue temp, string errorId)
    {
        var hash = Hash(temp.DatabasePath);
        var files = Directory.GetFiles(temp.Folder).Order().ToArray();
        var e = Assert.Throws<QueueException>(() => JobQueue.Open(temp.DatabasePath));
        Assert.Equal(QueueErrorKind.Database, e.Kind);
        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(5, e.ExitCode);
        Assert.Contains(temp.DatabasePath, e.Message);
        Assert.Equal(hash, Hash(temp.DatabasePath));
        Assert.Equal(files, Directory.GetFiles(temp.Folder).Order().ToArray());
        return e;
    }

    [Fact]
    public void Many_openers_of_a_new_database_at_the_same_moment_all_see_a_queue_database()
    {
        // The first opener creates the schema while the others look at the file: each of them must
        // see it before or after, never half made (an empty application id beside its tables).
        const int openers = 8;
        for (var round = 0; round < 25; round++)
        {
            using var temp = new TempQueue();
            using var start = new Barrier(openers);
            var failures = new System.Collections.Concurrent.ConcurrentBag<Exception>();
            var threads = Enumerable.Range(0, openers).Select(i => new Thread(() =>
            {
                try
                {
                    start.SignalAndWait();
                    using var queue = JobQueue.Open(temp.DatabasePath);
                    queue.Enqueue(new JobSpec { Id = $"from-{i}", Command = "true" });
                }
                catch (Exception e) { failures.Add(e); }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Assert.True(failures.IsEmpty, $"round {round}: {string.Join(" | ", failures.Select(f => f.Message))}");
            using var check = JobQueue.Open(temp.DatabasePath);
            Assert.Equal(openers, check.ListJobs().Count);
        }
    }

    [Fact]
    public void A_file_that_is_not_sqlite_is_refused_and_left_alone()
    {
        using var temp = new TempQueue();
        File.WriteAllText(temp.DatabasePath, "id,command\njob1,echo hi\nthis is a CSV file, not a database\n");
        var e = RefusedUnchanged(temp, "NotQueueDatabase");
        Assert.Contains("not an SQLite file", e.Message);
        Assert.Contains("Nothing was changed", e.Message);
    }

    [Fact]
    public void A_tiny_file_that_is_not_sqlite_is_refused()
    {
        using var temp = new TempQueue();
        File.WriteAllBytes(temp.DatabasePath, [0x53, 0x51, 0x4c]);
        RefusedUnchanged(temp, "NotQueueDatabase");
    }

    [Fact]
    public void Another_programs_sqlite_database_is_refused_and_left_alone()
    {
        using var temp = new TempQueue();
        RawSql(temp.DatabasePath, "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)", "INSERT INTO photos (name) VALUES ('cat.png')");
        var e = RefusedUnchanged(temp, "NotQueueDatabase");
        Assert.Contains("not a QueueCtl one", e.Message);
        RawSql(temp.DatabasePath, "SELECT * FROM photos"); // still a healthy database of its own
    }

    [Fact]
    public void A_database_marked_by_another_application_is_refused()
    {
        using var temp = new TempQueue();
        RawSql(temp.DatabasePath, "PRAGMA application_id = 1234", "CREATE TABLE t (x)");
        var e = RefusedUnchanged(temp, "NotQueueDatabase");
        Assert.Contains("1234", e.Message);
    }

    [Fact]
    public void A_database_from_a_newer_queuectl_is_refused_and_never_altered()
    {
        using var temp = new TempQueue();
        using (var queue = JobQueue.Open(temp.DatabasePath))
            queue.Enqueue(new JobSpec { Id = "from-the-future", Command = "true" });
        RawSql(temp.DatabasePath, "PRAGMA user_version = 99", "PRAGMA wal_checkpoint(TRUNCATE)");
        SqliteConnection.ClearAllPools();
        foreach (var leftover in new[] { "-wal", "-shm" })
            if (File.Exists(temp.DatabasePath + leftover)) File.Delete(temp.DatabasePath + leftover);
        var e = RefusedUnchanged(temp, "DatabaseTooNew");
        Assert.Contains("schema version 99", e.Message);
        Assert.Contains("upgrade QueueCtl", e.Message);
    }

    [Fact]
    public void A_newer_database_in_rollback_journal_mode_is_not_switched_to_wal()
    {
        using var temp = new TempQueue();
        // QueueCtl's application id ("QCTL"), a schema version from the future, and the default rollback journal.
        RawSql(temp.DatabasePath, $"PRAGMA application_id = {0x5143544C}", "PRAGMA user_version = 42", "CREATE TABLE jobs (x)");
        RefusedUnchanged(temp, "DatabaseTooNew");
    }

    [Fact]
    public void A_corrupt_database_is_refused()
    {
        using var temp = new TempQueue();
        var bytes = new byte[8192];
        "SQLite format 3\0"u8.CopyTo(bytes);
        new Random(7).NextBytes(bytes.AsSpan(16));
        File.WriteAllBytes(temp.DatabasePath, bytes);
        RefusedUnchanged(temp, "DatabaseCorrupt");
    }

    [Fact]
    public void A_database_locked_past_the_busy_timeout_is_reported_as_busy_and_nothing_is_written()
    {
        using var temp = new TempQueue();
        using (var queue = JobQueue.Open(temp.DatabasePath))
            queue.Enqueue(new JobSpec { Id = "before", Command = "true" });

        using var holder = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = temp.DatabasePath, Pooling = false }.ToString());
        holder.Open();
        using (var begin = holder.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
        }
        using (var locked = JobQueue.Open(temp.DatabasePath, options: new QueueCtl.Core.Storage.StoreOptions { BusyTimeout = TimeSpan.FromMilliseconds(200) }))
        {
            var e = Assert.Throws<QueueException>(() => locked.Enqueue(new JobSpec { Id = "blocked", Command = "true" }));
            Assert.Equal(QueueErrorKind.Busy, e.Kind);
            Assert.Equal("DatabaseBusy", e.ErrorId);
            Assert.Equal(6, e.ExitCode);
            Assert.Contains("locked", e.Message);
            Assert.Equal("InvalidInput", Record(() => locked.SetConfig("max_retries", "x")));
            Assert.Equal("Busy", Record(() => locked.SetConfig("max_retries", "5")));
            Assert.Single(locked.ListJobs()); // reading still works beside a writer (WAL)
        }
        using (var rollback = holder.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }
        using var after = JobQueue.Open(temp.DatabasePath);
        Assert.Equal(["before"], after.ListJobs().Select(j => j.Id).ToArray());
        Assert.Equal(3, after.GetConfig().MaxRetries);

        static string Record(Action action) =>
            Assert.Throws<QueueException>(action).Kind.ToString();
    }

    [Fact]
    public void A_folder_given_as_the_database_path_is_refused()
    {
        using var temp = new TempQueue();
        var e = Assert.Throws<QueueException>(() => JobQueue.Open(temp.Folder));
        Assert.Equal(QueueErrorKind.Database, e.Kind);
        Assert.Equal("DatabasePathIsFolder", e.ErrorId);
        Assert.Contains("is a folder", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(temp.Folder));
    }

    [Fact]
    public void An_unwritable_path_is_refused()
    {
        using var temp = new TempQueue();
        var file = temp.File("plain-file");
        File.WriteAllText(file, "x");
        // A path "inside" a regular file: no user, root included, can create it.
        var e = Assert.Throws<QueueException>(() => JobQueue.Open(Path.Combine(file, "sub", "queue.db")));
        Assert.Equal(QueueErrorKind.Database, e.Kind);
        Assert.Equal("DatabaseUnwritable", e.ErrorId);
        Assert.Contains("Choose a path you can write", e.Message);
        Assert.Equal("x", File.ReadAllText(file));

        var proc = Assert.Throws<QueueException>(() => JobQueue.Open("/proc/queuectl-test/queue.db"));
        Assert.Equal(QueueErrorKind.Database, proc.Kind);
    }

    [Fact]
    public void A_nul_in_the_path_is_refused_as_bad_input()
    {
        var e = Assert.Throws<QueueException>(() => JobQueue.Open("/tmp/a\0b.db"));
        Assert.Equal(QueueErrorKind.InvalidInput, e.Kind);
        Assert.Equal("InvalidDatabasePath", e.ErrorId);
    }

    [Fact]
    public void A_new_queue_gets_its_folders_and_a_private_file()
    {
        using var temp = new TempQueue();
        var path = Path.Combine(temp.Folder, "deep", "er", "queue.db");
        using (var queue = JobQueue.Open(path))
            Assert.Equal(path, queue.DatabasePath);
        Assert.True(File.Exists(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        }
        Assert.Equal(0x5143544CL, Convert.ToInt64(ScalarOf(path, "PRAGMA application_id")));
        Assert.Equal((long)QueueCtl.Core.Storage.SqliteSchema.CurrentVersion, Convert.ToInt64(ScalarOf(path, "PRAGMA user_version")));
        Assert.Equal("wal", ScalarOf(path, "PRAGMA journal_mode"));
    }

    [Fact]
    public void An_empty_existing_file_becomes_a_queue()
    {
        using var temp = new TempQueue();
        File.WriteAllBytes(temp.DatabasePath, []);
        using var queue = JobQueue.Open(temp.DatabasePath);
        queue.Enqueue(new JobSpec { Id = "a", Command = "true" });
        Assert.Single(queue.ListJobs());
    }

    [Fact]
    public void Everything_survives_closing_and_reopening()
    {
        using var q = new CoreQueue();
        q.Queue.SetConfig("max_retries", "7");
        q.Queue.SetConfig("backoff_jitter", "0.125");
        q.Queue.Enqueue(new JobSpec
        {
            Id = "full", Command = "echo \"$X\"", Shell = JobShell.Sh, Queue = "q1", Priority = -4, MaxRetries = 2, TimeoutSec = 60,
            Delay = TimeSpan.FromMinutes(5), WorkingDirectory = "/tmp", Environment = new Dictionary<string, string> { ["X"] = "y z", ["EMPTY"] = "" },
        });
        q.Add("done");
        q.Succeed(q.MustClaim("done"), "out\u00e9\n");
        q.Add("running");
        var running = q.MustClaim("running");
        var before = q.Queue.ListJobs().Select(Describe).ToArray();
        var attemptsBefore = q.Queue.GetAttempts("done").Select(a => a.ToString()).ToArray();
        q.Queue.Dispose();
        q.Store.Dispose();
        SqliteConnection.ClearAllPools();

        using var reopened = JobQueue.Open(q.DatabasePath, q.Clock);
        Assert.Equal(before, reopened.ListJobs().Select(Describe).ToArray());
        Assert.Equal(attemptsBefore, reopened.GetAttempts("done").Select(a => a.ToString()).ToArray());
        var full = reopened.GetJob("full");
        Assert.Equal("y z", full.Environment["X"]);
        Assert.Equal("", full.Environment["EMPTY"]);
        Assert.Equal(JobShell.Sh, full.Shell);
        Assert.Equal("/tmp", full.WorkingDirectory);
        Assert.Equal(CoreQueue.Start.AddMinutes(5), full.RunAt);
        Assert.Equal("out\u00e9\n", reopened.GetJob("done").Output);
        Assert.Equal(7, reopened.GetConfig().MaxRetries);
        Assert.Equal(0.125, reopened.GetConfig().BackoffJitter);
        Assert.Equal(JobState.Processing, reopened.GetJob("running").State);
        Assert.Equal(running.Attempt, reopened.GetJob("running").Attempts);
    }

    private static string Describe(QueueJob j) =>
        string.Join("|", j.Id, j.Command, j.Shell, j.Queue, j.Priority, j.State, j.Attempts, j.MaxRetries, j.TimeoutSec,
            j.RunAt.ToUnixTimeMilliseconds(), j.NextRunAt.ToUnixTimeMilliseconds(), j.WorkingDirectory,
            string.Join(",", j.Environment.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}")), j.ExitCode, j.LastError, j.Output,
            j.CreatedAt, j.UpdatedAt, j.StartedAt, j.FinishedAt, j.Duration, j.WorkerId, j.LeaseExpiresAt);

    [Fact]
    public void A_version_1_database_migrates_forward_and_keeps_its_jobs()
    {
        using var temp = new TempQueue();
        RawSql(temp.DatabasePath,
            QueueCtl.Core.Storage.SqliteSchema.Migrations[0],
            $"PRAGMA application_id = {QueueCtl.Core.Storage.SqliteSchema.ApplicationId}",
            "PRAGMA user_version = 1",
            """
            INSERT INTO jobs (id, command, shell, queue, priority, state, run_at, next_run_at, created_at, updated_at)
            VALUES ('old', 'echo old', 'sh', 'default', 0, 'pending', 0, 0, 0, 0)
            """);

        using (var queue = JobQueue.Open(temp.DatabasePath))
        {
            var job = queue.GetJob("old");
            Assert.Equal("echo old", job.Command);
            Assert.Equal(JobState.Pending, job.State);
            queue.Enqueue(new JobSpec { Id = "new", Command = "true", RunAt = DateTimeOffset.UtcNow.AddMinutes(5) });
        }
        Assert.Equal((long)QueueCtl.Core.Storage.SqliteSchema.CurrentVersion, Convert.ToInt64(ScalarOf(temp.DatabasePath, "PRAGMA user_version")));
        Assert.Equal(0L, Convert.ToInt64(ScalarOf(temp.DatabasePath, "SELECT run_at_fixed FROM jobs WHERE id = 'old'")));
        Assert.Equal(1L, Convert.ToInt64(ScalarOf(temp.DatabasePath, "SELECT run_at_fixed FROM jobs WHERE id = 'new'")));
        // Schema 4's next-due index holds only the job that waits for a time.
        Assert.Equal("new", ScalarOf(temp.DatabasePath,
            $"SELECT group_concat(id) FROM jobs INDEXED BY jobs_next_due WHERE {QueueCtl.Core.Storage.SqliteQueueStore.WaitingForATime}"));
    }

    [Fact]
    public void A_version_4_database_keeps_the_attempt_rows_its_workers_will_close_and_fences_those_workers_off()
    {
        using var temp = new TempQueue();
        RawSql(temp.DatabasePath, [
            .. QueueCtl.Core.Storage.SqliteSchema.Migrations[..4],
            $"PRAGMA application_id = {QueueCtl.Core.Storage.SqliteSchema.ApplicationId}",
            "PRAGMA user_version = 4",
            // Schema 4 opened an attempt's row at the claim. 'busy' is on its second attempt under w-old;
            // 'lost' is held by a w-old whose lease ran out; 'done' ended, but a row of it still says running.
            """
            INSERT INTO jobs (id, command, shell, queue, priority, state, attempts, run_at, next_run_at, created_at, updated_at,
                              started_at, worker_id, lease_token, lease_expires_at)
            VALUES ('busy', 'true', 'sh', 'default', 0, 'processing', 2, 0, 0, 0, 5000, 5000, 'w-old', 77, 9999999999999),
                   ('lost', 'true', 'sh', 'default', 0, 'processing', 1, 0, 0, 0, 5000, 5000, 'w-old', 88, 6000),
                   ('done', 'true', 'sh', 'default', 0, 'completed', 1, 0, 0, 0, 5000, 5000, 'w-old', NULL, NULL)
            """,
            """
            INSERT INTO attempts (job_id, number, worker_id, lease_token, started_at, finished_at, outcome, exit_code, error, duration_ms)
            VALUES ('busy', 1, 'w-old', 76, 1000, 1500, 'failed', 1, 'exit code 1', 500),
                   ('busy', 2, 'w-old', 77, 5000, NULL, 'running', NULL, NULL, NULL),
                   ('lost', 1, 'w-old', 88, 5000, NULL, 'running', NULL, NULL, NULL),
                   ('done', 1, 'w-old', 99, 5000, NULL, 'running', NULL, NULL, NULL)
            """]);

        using var store = QueueCtl.Core.Storage.SqliteQueueStore.Open(temp.DatabasePath);
        long Rows(string where) => Convert.ToInt64(ScalarOf(temp.DatabasePath, $"SELECT count(*) FROM attempts WHERE {where}"));
        Assert.Equal(0, Rows("job_id = 'done'")); // no attempt will ever close it
        Assert.Equal(1, Rows("job_id = 'busy' AND outcome = 'running'"));
        Assert.Equal([(1, AttemptOutcome.Failed), (2, AttemptOutcome.Running)], store.GetAttempts("busy").Select(a => (a.Number, a.Outcome)));

        // w-old's claim pins the index by its old name: it fails, and w-old stops (DatabaseTooNew).
        var fenced = Assert.Throws<SqliteException>(() => RawSql(temp.DatabasePath,
            "SELECT id FROM jobs INDEXED BY jobs_held WHERE worker_id = 'w-old' AND state = 'processing'"));
        Assert.Contains("no such index: jobs_held", fenced.Message);
        Assert.Equal(0L, Convert.ToInt64(ScalarOf(temp.DatabasePath, "SELECT count(*) FROM sqlite_schema WHERE name IN ('jobs_held', 'attempts_by_finish')")));

        // Before it stops, w-old closes the attempt it runs the old way: one row for it, with its outcome.
        RawSql(temp.DatabasePath,
            "UPDATE jobs SET state = 'completed', exit_code = 0, finished_at = 6000, duration_ms = 1000, lease_token = NULL WHERE id = 'busy' AND lease_token = 77",
            "UPDATE attempts SET finished_at = 6000, outcome = 'succeeded', exit_code = 0, duration_ms = 1000 WHERE job_id = 'busy' AND lease_token = 77");
        Assert.Equal([(1, AttemptOutcome.Failed), (2, AttemptOutcome.Succeeded)], store.GetAttempts("busy").Select(a => (a.Number, a.Outcome)));

        // The attempt of a w-old that died ends as lost through this version: its old row is replaced, not doubled.
        Assert.True(store.FailLostAttempt(Assert.Single(store.FindExpiredLeases()), store.GetConfig()));
        Assert.Equal(1, Rows("job_id = 'lost'"));
        Assert.Equal(AttemptOutcome.WorkerLost, Assert.Single(store.GetAttempts("lost")).Outcome);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_store_whose_file_a_newer_QueueCtl_moved_forward_says_so_instead_of_passing_on_sqlites_error(bool newerVersion)
    {
        using var q = new CoreQueue();
        Assert.Null(q.Store.NextDueAt([])); // its statement is prepared against the schema it opened

        // What a future schema might do to an index this one pins with INDEXED BY.
        var statements = new List<string>
        {
            "DROP INDEX jobs_next_due",
            "CREATE INDEX jobs_next_due ON jobs(next_run_at) WHERE state = 'failed'",
        };
        if (newerVersion) statements.Add($"PRAGMA user_version = {QueueCtl.Core.Storage.SqliteSchema.CurrentVersion + 1}");
        RawSql(q.DatabasePath, [.. statements]);

        var e = Assert.Throws<QueueException>(() => q.Store.NextDueAt([]));
        Assert.Equal(QueueErrorKind.Database, e.Kind);
        if (newerVersion)
        {
            Assert.Equal("DatabaseTooNew", e.ErrorId);
            Assert.Contains("upgraded by a newer QueueCtl while this one had it open", e.Message);
            Assert.Contains($"schema version {QueueCtl.Core.Storage.SqliteSchema.CurrentVersion + 1}", e.Message);
        }
        else
        {
            Assert.Equal("DatabaseError", e.ErrorId); // the same failure without a newer schema is not blamed on one
        }
    }

    private static object? ScalarOf(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
