using QueueCtl.Core;
using QueueCtl.Tests.Support;
using Xunit.Abstractions;

namespace QueueCtl.Tests.Faults;

/// <summary>Fault 1: SIGKILL of random workers at random moments, each replaced at once.</summary>
[Collection("Faults")]
[Trait("Category", "Faults")]
public sealed class WorkerKillTests(ITestOutputHelper output)
{
    [Fact]
    public void Killing_random_workers_mid_run_loses_nothing_and_never_runs_a_job_twice_at_once()
    {
        using var temp = new TempQueue();
        var jobCount = FaultScale.Pick(5_000, 50_000);
        var maxKills = FaultScale.Pick(25, 200);
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var job = new MarkerJob(temp.Folder, sleepSeconds: 0.02);
        var ids = Enumerable.Range(0, jobCount).Select(n => $"kill-{n}").ToList();
        using (var queue = JobQueue.Open(temp.DatabasePath))
        {
            queue.SetConfig("lease_seconds", "2");
            queue.SetConfig("backoff_base", "1");
            // Every 100th job runs 2 s: long enough that a killed worker's command is still running when its
            // job is recovered, so a missing "end the orphan first" would show up as a DUP.
            queue.EnqueueMany(ids.Select((id, n) => job.Spec(id, sleepSeconds: n % 100 == 0 ? 2 : null)));
        }

        var workers = Enumerable.Range(0, 4).Select(_ => WorkerProcess.Start(temp.DatabasePath, concurrency: 2)).ToList();
        var kills = 0;
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(FaultScale.Pick(4, 40));
            while (kills < maxKills && DateTime.UtcNow < deadline && !QueueAudit.AllFinished(temp.DatabasePath, jobCount))
            {
                Thread.Sleep(random.Next(200, 1200));
                var victim = random.Next(workers.Count);
                workers[victim].Kill();
                workers[victim].Dispose();
                workers[victim] = WorkerProcess.Start(temp.DatabasePath, concurrency: 2);
                kills++;
            }
            Assert.True(QueueAudit.WaitUntil(() => QueueAudit.AllFinished(temp.DatabasePath, jobCount), TimeSpan.FromMinutes(FaultScale.Pick(4, 40))),
                "the jobs did not all finish; last worker log:\n" + workers[0].Log);
        }
        finally
        {
            foreach (var worker in workers) { worker.Stop(TimeSpan.FromSeconds(30)); worker.Dispose(); }
        }

        var markers = job.Read();
        var outcome = QueueAudit.Audit("SIGKILL random workers (4 workers x 2 slots)", temp.DatabasePath, ids, markers, kills,
            $"{markers.JobsEndedMoreThanOnce} job(s) ran to the end again after a crash (at-least-once)");
        FaultReport.Record(outcome, output);
        Assert.True(kills >= Math.Min(maxKills, 5), $"only {kills} kills happened");
        Assert.Equal(0, outcome.Lost);
        Assert.Equal(0, outcome.ConcurrentDuplicates);
        Assert.Equal(0, outcome.IntegrityFailures);
        Assert.Equal(jobCount, outcome.Completed);
    }
}
