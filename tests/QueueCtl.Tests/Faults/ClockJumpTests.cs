using QueueCtl.Core;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Time;
using QueueCtl.Core.Workers;
using QueueCtl.Tests.Support;
using Xunit.Abstractions;

namespace QueueCtl.Tests.Faults;

/// <summary>
/// Fault 7: the wall clock jumps forward an hour, then back. Delayed jobs and retry backoffs keep
/// their length (none runs early en masse, none is stranded for an hour), running jobs keep their
/// leases, and two workers noticing the same jump shift the waits once, not twice.
/// </summary>
[Collection("Faults")]
[Trait("Category", "Faults")]
public sealed class ClockJumpTests(ITestOutputHelper output)
{
    private sealed class JumpingClock : IClock
    {
        private long _offsetTicks;
        public DateTimeOffset UtcNow => DateTimeOffset.UtcNow + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
        public void Jump(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
    }

    [Fact]
    public async Task A_wall_clock_jumping_an_hour_either_way_neither_runs_delayed_jobs_early_nor_strands_them()
    {
        using var temp = new TempQueue();
        var clock = new JumpingClock();
        var ran = temp.File("ran.log");
        string Record(string id) => $"echo {id} >> '{ran}'";
        var delayed = Enumerable.Range(0, 20).Select(n => $"delayed-{n}").ToList();
        using (var queue = JobQueue.Open(temp.DatabasePath, clock))
        {
            queue.SetConfig("lease_seconds", "3");
            queue.SetConfig("backoff_base", "6"); // the flaky job's first retry waits 6 s
            queue.EnqueueMany(delayed.Select(id => new JobSpec { Id = id, Command = Record(id), Delay = TimeSpan.FromSeconds(9) }));
            queue.Enqueue(new JobSpec { Id = "long", Command = $"sleep 6; {Record("long")}" });
            queue.Enqueue(new JobSpec { Id = "flaky", Command = $"{Record("flaky")}; [ \"$QUEUECTL_ATTEMPT\" != 1 ]" });
        }

        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 2).Select(_ => new Worker(temp.DatabasePath, new WorkerOptions { Slots = 2 }, clock: clock)).ToList();
        var log = new List<string>();
        foreach (var w in workers) w.EventRaised += e => { lock (log) log.Add(e.ToString()); };
        var running = workers.Select(w => Task.Run(() => w.RunAsync(stop.Token))).ToList();
        try
        {
            Assert.True(QueueAudit.WaitUntil(() => Lines(ran).Contains("flaky") && State(temp, clock, "long") == JobState.Processing, TimeSpan.FromSeconds(30)));

            clock.Jump(TimeSpan.FromHours(1));
            await Task.Delay(TimeSpan.FromSeconds(3));
            // Forward: nothing delayed ran early, the retry still waits, the running job kept its lease.
            Assert.DoesNotContain(Lines(ran), id => id.StartsWith("delayed-", StringComparison.Ordinal));
            Assert.Single(Lines(ran), "flaky");
            Assert.Equal(1, Job(temp, clock, "long").Attempts);

            clock.Jump(TimeSpan.FromHours(-1));
            // Back: the waits are as long as they were asked to be, not an hour longer.
            Assert.True(QueueAudit.WaitUntil(() => delayed.All(Lines(ran).Contains) && Lines(ran).Count(l => l == "flaky") == 2 && Lines(ran).Contains("long"),
                TimeSpan.FromSeconds(45)), "stranded after the clock went back:\n" + string.Join("\n", log));
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(running);
        }

        using var check = JobQueue.Open(temp.DatabasePath, clock);
        var jobs = check.ListJobs();
        Assert.All(jobs, j => Assert.Equal(JobState.Completed, j.State));
        Assert.Equal(1, check.GetJob("long").Attempts); // never charged as "worker lost"
        Assert.Equal(2, check.GetJob("flaky").Attempts);
        var shifts = log.Count(l => l.Contains("were shifted", StringComparison.Ordinal));
        Assert.Equal(2, shifts); // one per jump, though both workers noticed each
        FaultReport.Record(new FaultOutcome("wall clock +1 h then -1 h (2 workers)", 2, jobs.Count,
            jobs.Count(j => j.State == JobState.Completed), 0, jobs.Count(j => j.State != JobState.Completed), 0,
            QueueAudit.IntegrityFailures(temp.DatabasePath), "delays and backoffs kept their length; no lease expired; shifted once per jump"), output);
    }

    private static List<string> Lines(string path) => File.Exists(path) ? File.ReadAllLines(path).ToList() : [];

    private static QueueJob Job(TempQueue temp, IClock clock, string id)
    {
        using var queue = JobQueue.Open(temp.DatabasePath, clock);
        return queue.GetJob(id);
    }

    private static JobState State(TempQueue temp, IClock clock, string id) => Job(temp, clock, id).State;
}
