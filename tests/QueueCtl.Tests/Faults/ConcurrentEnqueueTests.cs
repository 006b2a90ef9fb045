using Microsoft.Data.Sqlite;
using QueueCtl.Core;
using QueueCtl.Tests.Support;
using Xunit.Abstractions;

namespace QueueCtl.Tests.Faults;

/// <summary>
/// Fault 6: 8 processes enqueue 2,000 jobs each, one transaction per job (JobQueue.Enqueue; the
/// four with generated ids write to the inbox, the four with given ids move it), while workers
/// claim and run them. Every acknowledged job is stored exactly once and nothing runs twice.
/// </summary>
[Collection("Faults")]
[Trait("Category", "Faults")]
public sealed class ConcurrentEnqueueTests(ITestOutputHelper output)
{
    [Fact]
    public void Eight_enqueuer_processes_and_running_workers_store_every_job_exactly_once()
    {
        using var temp = new TempQueue();
        const int enqueuers = 8;
        var perProcess = FaultScale.Pick(2_000, 20_000);
        using (var queue = JobQueue.Open(temp.DatabasePath)) queue.SetConfig("max_retries", "0");
        var workers = Enumerable.Range(0, 2).Select(_ => WorkerProcess.Start(temp.DatabasePath, 4)).ToList();
        var logs = Enumerable.Range(0, enqueuers).Select(n => temp.File($"enqueued-{n}.log")).ToList();
        try
        {
            var drivers = Enumerable.Range(0, enqueuers).Select(n => WorkerProcess.StartDriver(
                "enqueue", "--db", temp.DatabasePath, "--prefix", $"p{n}", "--count", perProcess.ToString(), "--log", logs[n],
                // Half the enqueuers let Core generate ids, which must not collide across processes.
                "--ids", n % 2 == 0 ? "given" : "generated")).ToList();
            foreach (var driver in drivers)
            {
                Assert.True(driver.WaitForExit(TimeSpan.FromMinutes(5)), driver.Log);
                Assert.True(driver.ExitCode == 0, driver.Log);
                driver.Dispose();
            }
        }
        finally
        {
            foreach (var worker in workers) { worker.Stop(TimeSpan.FromSeconds(60)); worker.Dispose(); }
        }

        var acknowledged = logs.SelectMany(File.ReadAllLines).ToList();
        Assert.Equal(enqueuers * perProcess, acknowledged.Count);
        Assert.Equal(acknowledged.Count, acknowledged.Distinct().Count());

        using var connection = new SqliteConnection($"Data Source={temp.DatabasePath};Pooling=False");
        connection.Open();
        // Both tables: jobs enqueued one at a time with generated ids may still wait in the inbox.
        var stored = Query(connection, "SELECT id FROM jobs UNION ALL SELECT id FROM jobs_inbox").ToList();
        var ranTwice = Query(connection, "SELECT job_id FROM attempts WHERE outcome = 'succeeded' GROUP BY job_id HAVING count(*) > 1").Count();
        var ran = Query(connection, "SELECT DISTINCT job_id FROM attempts").Count();

        var outcome = QueueAudit.Audit($"{enqueuers} enqueuer processes x {perProcess} jobs, workers running", temp.DatabasePath,
            acknowledged, markers: null, faultsInjected: enqueuers, $"{ran} ran while enqueuing went on; {ranTwice} ran twice") with
        {
            // Jobs still pending when the workers were stopped are not lost: count them with the finished ones.
            Lost = acknowledged.Except(stored).Count() + stored.Except(acknowledged).Count(),
        };
        FaultReport.Record(outcome, output);
        Assert.Equal(0, outcome.Lost);
        Assert.Equal(0, ranTwice);
        Assert.Equal(0, outcome.IntegrityFailures);
        Assert.True(ran > 0, "the workers ran nothing while the enqueuers worked");
    }

    private static IEnumerable<string> Query(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read()) rows.Add(reader.GetString(0));
        return rows;
    }
}
