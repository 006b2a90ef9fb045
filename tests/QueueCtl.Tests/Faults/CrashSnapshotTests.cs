using System.Globalization;
using QueueCtl.Core;
using QueueCtl.Tests.Support;
using Xunit.Abstractions;

namespace QueueCtl.Tests.Faults;

/// <summary>
/// Fault 5: crash snapshots. At random instants every process touching the queue is frozen
/// (SIGSTOP), the database and its WAL are copied as they are (what a crash would leave on
/// disk), and the processes go on. Each copy must open, pass integrity_check, and hold every
/// job whose enqueue had returned by then.
/// </summary>
[Collection("Faults")]
[Trait("Category", "Faults")]
public sealed class CrashSnapshotTests(ITestOutputHelper output)
{
    [Fact]
    public void Snapshots_taken_mid_run_open_cleanly_and_hold_every_acknowledged_job()
    {
        using var temp = new TempQueue();
        var snapshots = FaultScale.Pick(60, 200);
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var job = new MarkerJob(temp.Folder, sleepSeconds: 0.01);
        using (var queue = JobQueue.Open(temp.DatabasePath))
            queue.EnqueueMany(Enumerable.Range(0, 200).Select(n => job.Spec($"seed-{n}")));

        var logs = Enumerable.Range(0, 4).Select(n => temp.File($"acked-{n}.log")).ToList();
        var processes = new List<WorkerProcess>();
        var taken = new List<(string Folder, HashSet<string> Acknowledged)>();
        try
        {
            processes.AddRange(Enumerable.Range(0, 2).Select(_ => WorkerProcess.Start(temp.DatabasePath, 2)));
            // One job per transaction (with given ids, and with generated ones, which wait in the
            // inbox), and batches whose commits write many pages (a wide window for a snapshot to
            // land in the middle of one); they run until the last snapshot.
            var batches = new[] { (Size: 1, PauseMs: 0, Ids: "given"), (Size: 1, PauseMs: 0, Ids: "generated"), (Size: 100, PauseMs: 5, Ids: "given"), (Size: 2000, PauseMs: 20, Ids: "given") };
            processes.AddRange(logs.Select((log, n) => WorkerProcess.StartDriver("enqueue", "--db", temp.DatabasePath,
                "--prefix", $"snap{n}", "--count", "1000000", "--batch", batches[n].Size.ToString(CultureInfo.InvariantCulture),
                "--pause-ms", batches[n].PauseMs.ToString(CultureInfo.InvariantCulture), "--ids", batches[n].Ids, "--log", log, "--command", job.Command)));
            Thread.Sleep(500);
            for (var i = 0; i < snapshots; i++)
            {
                Thread.Sleep(random.Next(10, 120));
                foreach (var p in processes) p.Freeze();
                try
                {
                    var folder = temp.File($"snapshot-{i}");
                    Directory.CreateDirectory(folder);
                    foreach (var suffix in new[] { "", "-wal" })
                        if (File.Exists(temp.DatabasePath + suffix))
                            File.Copy(temp.DatabasePath + suffix, Path.Combine(folder, "queue.db" + suffix));
                    taken.Add((folder, ReadAcknowledged(logs)));
                }
                finally
                {
                    foreach (var p in processes) p.Thaw();
                }
            }
        }
        finally
        {
            foreach (var p in processes) { p.Stop(TimeSpan.FromSeconds(30)); p.Dispose(); }
        }

        int missing = 0, integrity = 0, acknowledged = 0;
        foreach (var (folder, acked) in taken)
        {
            var copy = Path.Combine(folder, "queue.db");
            using (var queue = JobQueue.Open(copy))
            {
                var stored = queue.ListJobs().Select(j => j.Id).ToHashSet();
                missing += acked.Count(id => !stored.Contains(id));
            }
            integrity += QueueAudit.IntegrityFailures(copy);
            acknowledged = Math.Max(acknowledged, acked.Count);
        }
        var outcome = new FaultOutcome("crash snapshots (all processes frozen, db + WAL copied)", taken.Count, acknowledged + 200,
            0, 0, missing, 0, integrity, "lost = acknowledged jobs missing from a snapshot");
        FaultReport.Record(outcome, output);
        Assert.Equal(snapshots, taken.Count);
        Assert.True(taken[^1].Acknowledged.Count > taken[0].Acknowledged.Count, "the enqueuers made no progress between snapshots");
        Assert.Equal(0, missing);
        Assert.Equal(0, integrity);
    }

    /// <summary>Ids the enqueuers logged as returned; a line cut mid-write is not counted.</summary>
    private static HashSet<string> ReadAcknowledged(IEnumerable<string> logs)
    {
        var ids = new HashSet<string>();
        foreach (var log in logs.Where(File.Exists))
        {
            var text = File.ReadAllText(log);
            var complete = text.EndsWith('\n') ? text : text[..(text.LastIndexOf('\n') + 1)];
            ids.UnionWith(complete.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        return ids;
    }
}
