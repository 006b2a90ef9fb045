using QueueCtl.Core;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Storage;
using QueueCtl.Tests.Support;
using Xunit.Abstractions;

namespace QueueCtl.Tests.Faults;

/// <summary>
/// Fault 3: another process holds the database's write lock (BEGIN EXCLUSIVE) for several times
/// the busy timeout while workers run. Workers wait or back off and carry on; a write that
/// cannot wait says "busy" and writes nothing; no job is lost.
/// </summary>
[Collection("Faults")]
[Trait("Category", "Faults")]
public sealed class LockedDatabaseTests(ITestOutputHelper output)
{
    [Fact]
    public void Workers_outlast_a_lock_held_past_the_busy_timeout_and_lose_nothing()
    {
        using var temp = new TempQueue();
        var jobCount = FaultScale.Pick(600, 6_000);
        var job = new MarkerJob(temp.Folder, sleepSeconds: 0.01);
        var ids = Enumerable.Range(0, jobCount).Select(n => $"lock-{n}").ToList();
        using (var queue = JobQueue.Open(temp.DatabasePath))
            queue.EnqueueMany(ids.Select(id => job.Spec(id)));

        var shortBusy = new Dictionary<string, string?> { [StoreOptions.BusyTimeoutVariable] = "300" };
        var workers = Enumerable.Range(0, 2).Select(_ => WorkerProcess.Start(temp.DatabasePath, 2, shortBusy)).ToList();
        var locks = FaultScale.Pick(3, 10);
        try
        {
            for (var i = 0; i < locks; i++)
            {
                Thread.Sleep(700);
                using var holder = WorkerProcess.StartDriver("hold-lock", "--db", temp.DatabasePath, "--seconds", "2.5");
                Assert.True(QueueAudit.WaitUntil(() => holder.Log.Contains("locked"), TimeSpan.FromSeconds(60)), holder.Log);

                // A writer that cannot wait past its busy timeout is refused cleanly, and writes nothing.
                using var impatient = JobQueue.Open(temp.DatabasePath, options: new StoreOptions { BusyTimeout = TimeSpan.FromMilliseconds(200) });
                var error = Assert.Throws<QueueException>(() => impatient.Enqueue(new JobSpec { Id = $"refused-{i}", Command = "true" }));
                Assert.Equal(QueueErrorKind.Busy, error.Kind);
                Assert.Equal("DatabaseBusy", error.ErrorId);
                Assert.Contains("locked by another process", error.Message);

                Assert.True(holder.WaitForExit(TimeSpan.FromSeconds(60)), holder.Log);
                Assert.Equal(0, holder.ExitCode);
                Assert.Null(impatient.FindJob($"refused-{i}"));
            }
            Assert.True(QueueAudit.WaitUntil(() => QueueAudit.AllFinished(temp.DatabasePath, jobCount), TimeSpan.FromMinutes(5)), workers[0].Log);
            Assert.All(workers, w => Assert.False(w.HasExited, "a worker died under the lock:\n" + w.Log));
        }
        finally
        {
            foreach (var worker in workers) { worker.Stop(TimeSpan.FromSeconds(30)); worker.Dispose(); }
        }

        var markers = job.Read();
        var outcome = QueueAudit.Audit("BEGIN EXCLUSIVE held 2.5 s (busy timeout 0.3 s)", temp.DatabasePath, ids, markers, locks,
            "every refused enqueue wrote nothing");
        FaultReport.Record(outcome, output);
        Assert.Equal(0, outcome.Lost);
        Assert.Equal(0, outcome.ConcurrentDuplicates);
        Assert.Equal(0, outcome.IntegrityFailures);
        Assert.Equal(jobCount, outcome.Completed);
    }
}
