using Microsoft.Data.Sqlite;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;

namespace QueueCtl.Core.Storage;

internal sealed partial class SqliteQueueStore
{
    private const string InsertJobSql = """
        INSERT INTO jobs (id, command, shell, queue, priority, state, attempts, max_retries, timeout_sec,
                          run_at, next_run_at, run_at_fixed, working_directory, environment, created_at, updated_at)
        VALUES ($id, $command, $shell, $queue, $priority, 'pending', 0, $max_retries, $timeout_sec,
                $run_at, $run_at, $run_at_fixed, $working_directory, $environment, $now, $now)
        ON CONFLICT(id) DO NOTHING
        """;

    /// <summary>Writes already-validated jobs in one transaction: all of them, or (on a refused duplicate) none.</summary>
    public EnqueueResult Enqueue(IReadOnlyList<JobSpecValidator.ValidJob> jobs, DuplicatePolicy duplicates)
    {
        var now = NowMs;
        return Write(() =>
        {
            var command = Command(InsertJobSql);
            var p = new[] { "$id", "$command", "$shell", "$queue", "$priority", "$max_retries", "$timeout_sec",
                            "$run_at", "$working_directory", "$environment", "$now", "$run_at_fixed" }
                .Select(name => command.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();
            p[10].Value = now;
            var added = new List<string>(jobs.Count);
            var skipped = new List<string>();
            foreach (var job in jobs)
            {
                p[0].Value = job.Id;
                p[1].Value = job.Command;
                p[2].Value = ShellName(job.Shell);
                p[3].Value = job.Queue;
                p[4].Value = job.Priority;
                p[5].Value = (object?)job.MaxRetries ?? DBNull.Value;
                p[6].Value = (object?)job.TimeoutSec ?? DBNull.Value;
                p[7].Value = Ms(job.RunAt);
                p[8].Value = (object?)job.WorkingDirectory ?? DBNull.Value;
                p[9].Value = (object?)job.EnvironmentJson ?? DBNull.Value;
                p[11].Value = job.RunAtFixed ? 1 : 0;
                if (command.ExecuteNonQuery() == 1) { added.Add(job.Id); continue; }
                if (duplicates == DuplicatePolicy.Skip) { skipped.Add(job.Id); continue; }
                throw new QueueException(QueueErrorKind.Conflict, "DuplicateJobId",
                    $"A job with id '{job.Id}' already exists, so nothing was enqueued. Choose another id, or ask to skip existing ids (--skip-existing, -SkipExisting).", job.Id);
            }
            return new EnqueueResult(added, skipped);
        });
    }
}
