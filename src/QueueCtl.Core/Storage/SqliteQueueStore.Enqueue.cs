using System.Text;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;

namespace QueueCtl.Core.Storage;

internal sealed partial class SqliteQueueStore
{
    // OR FAIL: a statement that fails keeps the rows it had written, so SQLite keeps no statement
    // journal (a copy of every page a grouped INSERT touches, made again for each group). Nothing is
    // lost by it: a failure ends the whole transaction (Write rolls it back), and a group that met
    // an existing id is undone with its savepoint. An id that exists is still skipped (DO NOTHING).
    private const string InsertJobColumns = """
        INSERT OR FAIL INTO jobs (id, command, shell, queue, priority, state, attempts, max_retries, timeout_sec,
                          run_at, next_run_at, run_at_fixed, working_directory, environment, created_at, updated_at)
        VALUES
        """;

    /// <summary>Parameters one job binds in an insert; ?1 (the enqueue time) is shared by every row.</summary>
    private const int InsertParametersPerJob = 11;

    /// <summary>
    /// Jobs one grouped INSERT writes. SQLite then opens its cursors and starts its program once per
    /// group instead of once per job: raw inserts into the jobs table went from 150–220k to 200–280k
    /// rows/s with groups of 8 to 32 (16 is in the middle; more gained nothing).
    /// </summary>
    internal const int InsertGroup = 16;

    // Run once per job, or once per group of jobs (RawStatement, positional parameters).
    private static readonly string InsertJobSql = InsertSql(1);
    private static readonly string InsertGroupSql = InsertSql(InsertGroup);

    private static string InsertSql(int rows)
    {
        var sql = new StringBuilder(InsertJobColumns);
        for (var row = 0; row < rows; row++)
        {
            var p = 1 + row * InsertParametersPerJob; // this row's parameters are ?(p+1) … ?(p+11)
            sql.Append(row == 0 ? "\n    " : ",\n    ")
               .Append($"(?{p + 1}, ?{p + 2}, ?{p + 3}, ?{p + 4}, ?{p + 5}, 'pending', 0, ?{p + 6}, ?{p + 7}, ?{p + 8}, ?{p + 8}, ?{p + 9}, ?{p + 10}, ?{p + 11}, ?1, ?1)");
        }
        return sql.Append("\nON CONFLICT(id) DO NOTHING").ToString();
    }

    /// <summary>
    /// Writes already-validated jobs in one transaction: all of them, or (on a refused duplicate)
    /// none. The jobs are read once as they are written, and once more only if one met an id that exists.
    /// </summary>
    public EnqueueResult Enqueue(IEnumerable<JobSpecValidator.ValidJob> jobs, DuplicatePolicy duplicates)
    {
        var now = NowMs;
        return Write(() =>
        {
            // Groups first, under a savepoint. A group that wrote fewer rows than it holds met an id
            // that exists (or repeats in the batch); which one is only known one by one, so the groups
            // are undone and the whole batch goes through the one-by-one path, in the same transaction.
            Run("SAVEPOINT enqueue_groups;");
            var added = InsertInGroups(jobs, now);
            if (added is null) Run("ROLLBACK TO enqueue_groups;");
            Run("RELEASE enqueue_groups;");
            return added is not null ? new EnqueueResult(added, []) : InsertOneByOne(jobs, duplicates, now);
        });
    }

    /// <summary>
    /// One job, in one transaction with the read of the configuration its defaults come from. A job
    /// whose id was made here waits in the inbox (see SqliteQueueStore.Inbox.cs); a job with a given
    /// id is checked against every job, so the inbox is moved first and the job written to jobs.
    /// </summary>
    public (bool Added, QueueJob Job) EnqueueOne(JobSpecValidator.ValidJob job, DuplicatePolicy duplicates)
    {
        var now = NowMs;
        if (job.IdGenerated)
        {
            var stored = Write<QueueJob?>(() =>
            {
                var waiting = InsertIntoInbox(job, now);
                if (waiting == 0) return null; // a job in jobs holds the id: refused or skipped below, as a given one
                if (waiting >= InboxLimit) MoveInbox();
                return NewJob(job, now, GetConfig());
            }, moveInbox: false);
            if (stored is not null) return (true, stored);
        }
        return Write(() =>
        {
            var added = InsertOneByOne([job], duplicates, now).Added.Count == 1;
            return (added, GetJob(job.Id, GetConfig()) ?? throw JobNotFound(job.Id));
        });
    }

    /// <summary>
    /// Inserts every job, <see cref="InsertGroup"/> to a statement (the last few one by one): their
    /// ids, or null as soon as one met an id that exists.
    /// </summary>
    private List<string>? InsertInGroups(IEnumerable<JobSpecValidator.ValidJob> jobs, long now)
    {
        var ids = new List<string>();
        var group = new JobSpecValidator.ValidJob[InsertGroup];
        var held = 0;
        RawStatement? grouped = null;
        foreach (var job in jobs)
        {
            group[held++] = job;
            ids.Add(job.Id);
            if (held < InsertGroup) continue;
            grouped ??= Statement(InsertGroupSql).Bind(1, now);
            for (var row = 0; row < InsertGroup; row++)
                BindJob(grouped, 1 + row * InsertParametersPerJob, group[row]);
            if (grouped.Run() != InsertGroup) return null;
            held = 0;
        }
        if (held == 0) return ids;
        var single = Statement(InsertJobSql).Bind(1, now);
        for (var row = 0; row < held; row++)
            if (BindJob(single, 1, group[row]).Run() != 1) return null;
        return ids;
    }

    private EnqueueResult InsertOneByOne(IEnumerable<JobSpecValidator.ValidJob> jobs, DuplicatePolicy duplicates, long now)
    {
        var insert = Statement(InsertJobSql).Bind(1, now);
        var added = new List<string>();
        var skipped = new List<string>();
        foreach (var job in jobs)
        {
            if (BindJob(insert, 1, job).Run() == 1) { added.Add(job.Id); continue; }
            if (duplicates == DuplicatePolicy.Skip) { skipped.Add(job.Id); continue; }
            throw new QueueException(QueueErrorKind.Conflict, "DuplicateJobId",
                $"A job with id '{job.Id}' already exists, so nothing was enqueued. Choose another id, or ask to skip existing ids (--skip-existing, -SkipExisting).", job.Id);
        }
        return new EnqueueResult(added, skipped);
    }

    /// <summary>Binds one job's values to parameters ?(first+1) … ?(first+11).</summary>
    private static RawStatement BindJob(RawStatement insert, int first, JobSpecValidator.ValidJob job) => insert
        .Bind(first + 1, job.Id).Bind(first + 2, job.Command).Bind(first + 3, ShellName(job.Shell)).Bind(first + 4, job.Queue)
        .Bind(first + 5, job.Priority).Bind(first + 6, job.MaxRetries).Bind(first + 7, job.TimeoutSec).Bind(first + 8, Ms(job.RunAt))
        .Bind(first + 9, job.RunAtFixed ? 1 : 0).Bind(first + 10, job.WorkingDirectory).Bind(first + 11, job.EnvironmentJson);
}
