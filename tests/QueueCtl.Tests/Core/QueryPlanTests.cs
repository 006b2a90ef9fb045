using Microsoft.Data.Sqlite;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Storage;

namespace QueueCtl.Tests.Core;

/// <summary>
/// Which indexes the jobs table keeps, and that listings by one state still find their jobs
/// through a small partial index rather than by reading every job ever run.
/// </summary>
public sealed class QueryPlanTests
{
    [Fact]
    public void Every_index_on_jobs_but_the_ids_is_partial_so_a_claim_moves_no_entry_of_a_whole_table_index()
    {
        using var q = new CoreQueue();
        using var connection = Open(q.DatabasePath);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'jobs' ORDER BY name";
        using var r = command.ExecuteReader();
        var indexes = new List<(string Name, string? Sql)>();
        while (r.Read()) indexes.Add((r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1)));

        Assert.Equal(["jobs_dead", "jobs_held_by_worker", "jobs_next_due", "jobs_ready", "jobs_ready_by_queue", "sqlite_autoindex_jobs_1"], indexes.Select(i => i.Name));
        Assert.All(indexes.Where(i => i.Sql is not null), i => Assert.Contains(" WHERE state", i.Sql!));
    }

    [Fact]
    public void Listing_dead_or_running_jobs_reads_their_partial_index_and_returns_them_oldest_first()
    {
        using var q = new CoreQueue();
        foreach (var id in new[] { "a", "b", "c", "d", "e" }) q.Queue.Enqueue(new JobSpec { Id = id, Command = "true", MaxRetries = 0, Queue = id == "c" ? "other" : "default" });
        q.Succeed(q.MustClaim("a"));
        q.Fail(q.MustClaim("b"));
        q.Fail(q.MustClaim("c"));
        q.MustClaim("d");
        var config = q.Store.GetConfig();

        Assert.Equal(["b", "c"], q.Store.ListJobs(new JobFilter { States = [JobState.Dead] }, config).Select(j => j.Id));
        Assert.Equal(["c"], q.Store.ListJobs(new JobFilter { States = [JobState.Dead], Queues = ["other"] }, config).Select(j => j.Id));
        Assert.Equal(["d"], q.Store.ListJobs(new JobFilter { States = [JobState.Processing] }, config).Select(j => j.Id));
        Assert.Equal(["b", "c", "e"], q.Store.ListJobs(new JobFilter { States = [JobState.Dead, JobState.Pending] }, config).Select(j => j.Id));
        Assert.Equal(["b"], q.Store.ListJobs(new JobFilter { States = [JobState.Dead], Limit = 1 }, config).Select(j => j.Id));

        Assert.Contains("USING INDEX jobs_dead", Plan(q.DatabasePath, new JobFilter { States = [JobState.Dead], Limit = 20 }));
        Assert.Contains("USING INDEX jobs_dead", Plan(q.DatabasePath, new JobFilter { States = [JobState.Dead], Queues = ["other"] }));
        Assert.Contains("USING INDEX jobs_held_by_worker", Plan(q.DatabasePath, new JobFilter { States = [JobState.Processing] }));
    }

    [Fact]
    public void The_next_due_time_comes_from_jobs_waiting_for_a_time_and_only_those_are_in_its_index()
    {
        using var q = new CoreQueue();
        q.Add("at-once");
        q.Add("at-once-too");
        Assert.Null(q.Store.NextDueAt([])); // due already: the claim takes them, and nothing is waiting for a time

        q.Queue.Enqueue(new JobSpec { Id = "delayed", Command = "true", Delay = TimeSpan.FromMinutes(10), Queue = "other" });
        q.Queue.Enqueue(new JobSpec { Id = "scheduled", Command = "true", RunAt = CoreQueue.Start.AddMinutes(30) });
        Assert.Equal(CoreQueue.Start.AddMinutes(10), q.Store.NextDueAt([]));
        Assert.Equal(CoreQueue.Start.AddMinutes(30), q.Store.NextDueAt(["default"]));
        Assert.Equal(CoreQueue.Start.AddMinutes(10), q.Store.NextDueAt(["other"]));
        Assert.Null(q.Store.NextDueAt(["none"]));

        // A failed attempt waits for its backoff, which is sooner than either.
        var retry = q.Fail(q.MustClaim("at-once"));
        Assert.Equal(JobState.Failed, retry.NewState);
        Assert.True(retry.RetryAt < CoreQueue.Start.AddMinutes(10));
        Assert.Equal(retry.RetryAt!.Value.ToUnixTimeMilliseconds(), q.Store.NextDueAt(["default"])!.Value.ToUnixTimeMilliseconds());

        Assert.Equal(["at-once", "delayed", "scheduled"], IdsInNextDueIndex(q));
    }

    private static List<string> IdsInNextDueIndex(CoreQueue q)
    {
        using var connection = Open(q.DatabasePath);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id FROM jobs INDEXED BY jobs_next_due WHERE {SqliteQueueStore.WaitingForATime} ORDER BY id";
        using var r = command.ExecuteReader();
        var ids = new List<string>();
        while (r.Read()) ids.Add(r.GetString(0));
        return ids;
    }

    private static string Plan(string database, JobFilter filter)
    {
        var (sql, parameters) = SqliteQueueStore.ListStatement(filter);
        using var connection = Open(database);
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        using var r = command.ExecuteReader();
        var lines = new List<string>();
        while (r.Read()) lines.Add(r.GetString(3));
        return string.Join("\n", lines);
    }

    private static SqliteConnection Open(string database)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }
}
