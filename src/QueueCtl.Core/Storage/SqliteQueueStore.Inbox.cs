using Microsoft.Data.Sqlite;
using QueueCtl.Core.Config;
using QueueCtl.Core.Jobs;

namespace QueueCtl.Core.Storage;

// The inbox (schema 8): where a job enqueued on its own waits until it is moved into jobs. A commit
// writes every B-tree page it changed to the WAL; a row of jobs changes four (the table, its id index,
// the two ready indexes), a row of the inbox one. Whatever else touches jobs moves the inbox first,
// inside its own transaction (Write) or just before it reads (Read), so no one sees jobs without it,
// and moving it in its order keeps the enqueue order (seq) of every job.
internal sealed partial class SqliteQueueStore
{
    /// <summary>
    /// Jobs the inbox holds before the enqueue that reaches this many moves them itself, when nothing
    /// else has. Moves of 64 took a sixth of the time of single enqueues; moves of 1,000 a twelfth.
    /// </summary>
    internal const int InboxLimit = 1000;

    private const string InboxHoldsJobsSql = "SELECT EXISTS (SELECT 1 FROM jobs_inbox)";

    // The same values InsertJobSql writes for a new job (pending, no attempts, due at its run time).
    // Only jobs whose id was made here come in, so they are checked against jobs alone: an id made
    // of its millisecond and 80 random bits (counting up within one process) cannot meet another
    // made the same way but by a chance of 2^-80, and a check against the inbox, which has no
    // index, had cost a quarter of the enqueue. A given id never waits here (EnqueueOne).
    private const string InsertInboxSql = """
        INSERT INTO jobs_inbox (id, command, shell, queue, priority, max_retries, timeout_sec, run_at, run_at_fixed,
                                working_directory, environment, created_at)
        SELECT ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?1
         WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE id = ?2)
        """;

    private const string MoveInboxSql = """
        INSERT INTO jobs (id, command, shell, queue, priority, state, attempts, max_retries, timeout_sec,
                          run_at, next_run_at, run_at_fixed, working_directory, environment, created_at, updated_at)
        SELECT id, command, shell, queue, priority, 'pending', 0, max_retries, timeout_sec,
               run_at, run_at, run_at_fixed, working_directory, environment, created_at, created_at
          FROM jobs_inbox ORDER BY seq
        """;

    private bool InboxHoldsJobs() => Statement(InboxHoldsJobsSql).Scalar() == 1;

    /// <summary>
    /// Moves every job waiting in the inbox into jobs; only inside a write transaction. A file at
    /// its size limit cannot take the move (jobs' pages are written before the inbox's are freed):
    /// the jobs then go on waiting, and the transaction that asked does its own work, so that
    /// workers still record outcomes and claim what is in jobs until room is made.
    /// </summary>
    private void MoveInbox()
    {
        if (!InboxHoldsJobs()) return;
        Statement("SAVEPOINT move_inbox;").Run();
        try
        {
            Statement(MoveInboxSql).Run();
            Statement("DELETE FROM jobs_inbox").Run();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == SqliteErrors.Full && InTransaction)
        {
            Statement("ROLLBACK TO move_inbox;").Run();
        }
        Statement("RELEASE move_inbox;").Run();
    }

    /// <summary>Whether the connection is inside a transaction (SQLite may end one itself on a failure).</summary>
    private bool InTransaction => SQLitePCL.raw.sqlite3_get_autocommit(_connection.Handle) == 0;

    /// <summary>
    /// Writes a job whose id was made here to the inbox, unless a job in jobs holds that id: how many
    /// jobs the inbox holds now, or 0 if the id was taken.
    /// </summary>
    private long InsertIntoInbox(JobSpecValidator.ValidJob job, long now)
    {
        var insert = BindJob(Statement(InsertInboxSql).Bind(1, now), 1, job);
        if (insert.Run() == 0) return 0;
        return insert.LastInsertRowId; // rowids start again at 1 once the inbox is emptied: the last one counts its rows
    }

    /// <summary>The job a new inbox row stands for, as reading it back from jobs would give it.</summary>
    private static QueueJob NewJob(JobSpecValidator.ValidJob job, long now, QueueConfig config) => new()
    {
        Id = job.Id,
        Command = job.Command,
        Shell = job.Shell,
        Queue = job.Queue,
        Priority = job.Priority,
        State = JobState.Pending,
        Attempts = 0,
        MaxRetries = job.MaxRetries ?? config.MaxRetries,
        TimeoutSec = job.TimeoutSec ?? config.JobTimeout,
        RunAt = FromMs(Ms(job.RunAt)),
        NextRunAt = FromMs(Ms(job.RunAt)),
        WorkingDirectory = job.WorkingDirectory,
        Environment = ParseEnvironment(job.EnvironmentJson),
        CreatedAt = FromMs(now),
        UpdatedAt = FromMs(now),
    };
}
