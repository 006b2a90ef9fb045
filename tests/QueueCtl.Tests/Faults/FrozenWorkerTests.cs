using QueueCtl.Core;
using QueueCtl.Core.Jobs;
using QueueCtl.Tests.Support;
using Xunit.Abstractions;

namespace QueueCtl.Tests.Faults;

/// <summary>
/// Fault 2: a worker frozen (SIGSTOP) past its lease. Its job is taken over, and when it wakes
/// (SIGCONT) the outcome it tries to write carries a stale lease token and changes nothing.
/// </summary>
[Collection("Faults")]
[Trait("Category", "Faults")]
public sealed class FrozenWorkerTests(ITestOutputHelper output)
{
    [Fact]
    public void A_worker_that_wakes_after_its_lease_ran_out_cannot_overwrite_the_newer_attempt()
    {
        using var temp = new TempQueue();
        var log = temp.File("runs.log");
        // Attempt 1 hangs (and would fail with 7 if it ever finished); later attempts take 4 s, then succeed,
        // so the frozen worker wakes while the newer attempt is still running: only the lease token
        // (not the job's state) can then tell its write is stale.
        var command = $"echo \"S $QUEUECTL_ATTEMPT\" >> '{log}'; if [ \"$QUEUECTL_ATTEMPT\" = 1 ]; then sleep 20; exit 7; fi; sleep 4; echo \"E $QUEUECTL_ATTEMPT\" >> '{log}'";
        using (var queue = JobQueue.Open(temp.DatabasePath))
        {
            queue.SetConfig("lease_seconds", "1");
            queue.SetConfig("backoff_base", "1");
            queue.Enqueue(new JobSpec { Id = "frozen", Command = command, MaxRetries = 3 });
        }

        using var first = WorkerProcess.Start(temp.DatabasePath);
        Assert.True(QueueAudit.WaitUntil(() => File.Exists(log) && File.ReadAllText(log).Contains("S 1"), TimeSpan.FromSeconds(60)), first.Log);
        first.FreezeOutsideTransaction(temp.DatabasePath);
        try
        {
            using var second = WorkerProcess.Start(temp.DatabasePath);
            Assert.True(QueueAudit.WaitUntil(() => File.ReadAllText(log).Contains("S 2"), TimeSpan.FromSeconds(60)),
                "the job was not taken over:\n" + second.Log);
            first.Thaw();
            // The woken worker sees its command gone and tries to record that attempt: it must be refused.
            Assert.True(QueueAudit.WaitUntil(() => first.Log.Contains("leaselost"), TimeSpan.FromSeconds(60)),
                "the woken worker did not report its stale outcome as discarded:\n" + first.Log);
            Assert.True(QueueAudit.WaitUntil(() => State(temp.DatabasePath) == JobState.Completed, TimeSpan.FromSeconds(60)),
                "the newer attempt did not complete:\n" + second.Log);
            first.Stop(TimeSpan.FromSeconds(30));
            second.Stop(TimeSpan.FromSeconds(30));
        }
        finally
        {
            first.Thaw();
        }

        using var check = JobQueue.Open(temp.DatabasePath);
        var job = check.GetJob("frozen");
        var attempts = check.GetAttempts("frozen");
        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal(0, job.ExitCode);
        Assert.Null(job.LastError);
        Assert.Equal(2, job.Attempts);
        Assert.Equal([AttemptOutcome.WorkerLost, AttemptOutcome.Succeeded], attempts.Select(a => a.Outcome));
        Assert.DoesNotContain("E 1", File.ReadAllText(log)); // the hung attempt never finished: it was ended

        FaultReport.Record(new FaultOutcome("SIGSTOP a worker past its lease, then SIGCONT", 1, 1,
            job.State == JobState.Completed ? 1 : 0, 0, job.State == JobState.Completed ? 0 : 1, 0,
            QueueAudit.IntegrityFailures(temp.DatabasePath), "stale outcome refused by the lease token"), output);
    }

    private static JobState State(string database)
    {
        using var queue = JobQueue.Open(database);
        return queue.GetJob("frozen").State;
    }
}
