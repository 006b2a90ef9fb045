using System.Diagnostics;
using QueueCtl.Core;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Storage;
using QueueCtl.Tests.Support;
using Xunit.Abstractions;

namespace QueueCtl.Tests.Faults;

/// <summary>
/// Fault 4: a full database. Enqueue fails with a clear message and writes nothing; workers keep
/// the jobs they hold and record them once there is room again.
/// </summary>
[Collection("Faults")]
[Trait("Category", "Faults")]
public sealed class FullDatabaseTests(ITestOutputHelper output)
{
    [Fact]
    public void Enqueue_into_a_database_at_its_page_limit_is_refused_whole_and_the_queue_stays_usable()
    {
        using var temp = new TempQueue();
        using (var create = JobQueue.Open(temp.DatabasePath)) create.Enqueue(new JobSpec { Id = "first", Command = "true" });
        using var queue = JobQueue.Open(temp.DatabasePath, options: new StoreOptions { MaxPageCount = 64 });
        var padding = new string('x', 2_000);
        QueueException? full = null;
        var batches = 0;
        for (; batches < 1_000 && full is null; batches++)
        {
            var before = queue.ListJobs().Count;
            try
            {
                queue.EnqueueMany(Enumerable.Range(0, 10).Select(n => new JobSpec { Id = $"b{batches}-{n}", Command = "echo " + padding }));
            }
            catch (QueueException e)
            {
                full = e;
                Assert.Equal(before, queue.ListJobs().Count); // the refused batch wrote nothing, not even part of itself
            }
        }
        Assert.NotNull(full);
        Assert.Equal(QueueErrorKind.Full, full.Kind);
        Assert.Equal("DatabaseFull", full.ErrorId);
        Assert.Equal(7, full.ExitCode);
        Assert.Contains("Nothing was written", full.Message);

        // Making room makes it writable again.
        var removed = queue.RemoveJobs(new JobFilter { Ids = queue.ListJobs().Select(j => j.Id).Take(20).ToList() });
        Assert.True(removed.Removed > 0);
        queue.Enqueue(new JobSpec { Id = "after", Command = "true" });
        Assert.NotNull(queue.FindJob("after"));
        Assert.Equal(0, QueueAudit.IntegrityFailures(temp.DatabasePath));
        FaultReport.Record(new FaultOutcome("database at its page limit (in-process)", 1, batches * 10, 0, 0, 0, 0, 0,
            "refused batch wrote nothing; writable again after removal"), output);
    }

    [Fact]
    public void Workers_on_a_full_file_system_keep_their_jobs_and_finish_them_when_room_returns()
    {
        using var temp = new TempQueue();
        var mount = temp.File("small-fs");
        Directory.CreateDirectory(mount);
        Assert.True(Run("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", mount),
            "This fault needs a size-limited file system: run the suite as root (CI does), or filter out FullDatabaseTests.");
        try
        {
            var database = Path.Combine(mount, "queue.db");
            var job = new MarkerJob(temp.Folder, sleepSeconds: 0.05); // markers live outside the small file system
            var ids = Enumerable.Range(0, FaultScale.Pick(300, 3_000)).Select(n => $"fs-{n}").ToList();
            using (var queue = JobQueue.Open(database)) queue.EnqueueMany(ids.Select(id => job.Spec(id)));

            using var worker = WorkerProcess.Start(database, 2);
            Assert.True(QueueAudit.WaitUntil(() => job.Read().Ended.Count > 20, TimeSpan.FromSeconds(60)), worker.Log);

            // Fill every remaining byte.
            var filler = Path.Combine(mount, "filler");
            using (var stream = new FileStream(filler, FileMode.Create))
            {
                var block = new byte[64 * 1024];
                try { while (true) stream.Write(block); }
                catch (IOException) { /* no space left: that is the point */ }
                try { stream.Flush(); } catch (IOException) { }
            }

            using (var queue = JobQueue.Open(database))
            {
                var before = queue.ListJobs().Count;
                var error = Assert.Throws<QueueException>(() => queue.EnqueueMany(
                    Enumerable.Range(0, 2_000).Select(n => new JobSpec { Id = $"nospace-{n}", Command = "echo " + new string('y', 2_000) })));
                Assert.Equal(QueueErrorKind.Full, error.Kind);
                Assert.Contains("full", error.Message);
                Assert.Equal(before, queue.ListJobs().Count);
            }

            Thread.Sleep(2_000); // the worker runs into the full disk meanwhile
            File.Delete(filler);
            Assert.True(QueueAudit.WaitUntil(() => QueueAudit.AllFinished(database, ids.Count), TimeSpan.FromMinutes(3)), worker.Log);
            Assert.False(worker.HasExited, "the worker died on the full disk:\n" + worker.Log);
            worker.Stop(TimeSpan.FromSeconds(30));

            var markers = job.Read();
            var outcome = QueueAudit.Audit("file system full (tmpfs) under a running worker", database, ids, markers, 1,
                "enqueue refused whole; worker recorded its jobs after space returned");
            FaultReport.Record(outcome, output);
            Assert.Equal(0, outcome.Lost);
            Assert.Equal(0, outcome.ConcurrentDuplicates);
            Assert.Equal(0, outcome.IntegrityFailures);
            Assert.Equal(ids.Count, outcome.Completed);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Run("umount", "-l", mount);
        }
    }

    private static bool Run(string file, params string[] args)
    {
        var startInfo = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args) startInfo.ArgumentList.Add(arg);
        try
        {
            using var process = Process.Start(startInfo)!;
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
