using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;

namespace QueueCtl.Core.Storage;

internal sealed partial class SqliteQueueStore
{
    // Run once per job (RawStatement, positional parameters).
    private const string InsertJobSql = """
        INSERT INTO jobs (id, command, shell, queue, priority, state, attempts, max_retries, timeout_sec,
                          run_at, next_run_at, run_at_fixed, working_directory, environment, created_at, updated_at)
        VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?7, ?8, ?8, ?9, ?10, ?11, ?12, ?12)
        ON CONFLICT(id) DO NOTHING
        """;

    /// <summary>Writes already-validated jobs in one transaction: all of them, or (on a refused duplicate) none.</summary>
    public EnqueueResult Enqueue(IReadOnlyList<JobSpecValidator.ValidJob> jobs, DuplicatePolicy duplicates)
    {
        var now = NowMs;
        return Write(() =>
        {
            var insert = Statement(InsertJobSql).Bind(12, now);
            var added = new List<string>(jobs.Count);
            var skipped = new List<string>();
            foreach (var job in jobs)
            {
                insert.Bind(1, job.Id).Bind(2, job.Command).Bind(3, ShellName(job.Shell)).Bind(4, job.Queue).Bind(5, job.Priority)
                    .Bind(6, job.MaxRetries).Bind(7, job.TimeoutSec).Bind(8, Ms(job.RunAt)).Bind(9, job.RunAtFixed ? 1 : 0)
                    .Bind(10, job.WorkingDirectory).Bind(11, job.EnvironmentJson);
                if (insert.Run() == 1) { added.Add(job.Id); continue; }
                if (duplicates == DuplicatePolicy.Skip) { skipped.Add(job.Id); continue; }
                throw new QueueException(QueueErrorKind.Conflict, "DuplicateJobId",
                    $"A job with id '{job.Id}' already exists, so nothing was enqueued. Choose another id, or ask to skip existing ids (--skip-existing, -SkipExisting).", job.Id);
            }
            return new EnqueueResult(added, skipped);
        });
    }
}
