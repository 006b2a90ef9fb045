using Microsoft.Data.Sqlite;
using QueueCtl.Core;
using QueueCtl.Core.Jobs;

namespace QueueCtl.Tests.Faults;

/// <summary>
/// The end-of-run check, made from what actually ran (the markers) as much as from what the
/// database says: a job counts as lost if it is missing, not finished, or marked completed
/// without its final attempt having run to its end.
/// </summary>
public static class QueueAudit
{
    public static FaultOutcome Audit(string fault, string database, IReadOnlyCollection<string> enqueued,
        Markers? markers, int faultsInjected, string notes = "")
    {
        using var queue = JobQueue.Open(database);
        var jobs = queue.ListJobs().ToDictionary(j => j.Id);
        int completed = 0, dead = 0, lost = 0;
        foreach (var id in enqueued)
        {
            if (!jobs.TryGetValue(id, out var job)) { lost++; continue; }
            switch (job.State)
            {
                case JobState.Completed when markers is null || markers.Ended.Contains((id, job.Attempts)):
                    completed++;
                    break;
                case JobState.Dead:
                    dead++;
                    break;
                default:
                    lost++;
                    break;
            }
        }
        var phantoms = jobs.Keys.Except(enqueued).Count();
        var extra = phantoms == 0 ? "" : $"{phantoms} job(s) nobody enqueued; ";
        return new FaultOutcome(fault, faultsInjected, enqueued.Count, completed, dead, lost + phantoms,
            markers?.Duplicates.Count ?? 0, IntegrityFailures(database), extra + notes);
    }

    /// <summary>0 when PRAGMA integrity_check says ok, else 1.</summary>
    public static int IntegrityFailures(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return command.ExecuteScalar() as string == "ok" ? 0 : 1;
    }

    /// <summary>Polls until <paramref name="done"/> holds or the time runs out.</summary>
    public static bool WaitUntil(Func<bool> done, TimeSpan timeout, TimeSpan? every = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (done()) return true;
            Thread.Sleep(every ?? TimeSpan.FromMilliseconds(100));
        }
        return done();
    }

    public static bool AllFinished(string database, int expected)
    {
        using var queue = JobQueue.Open(database);
        var status = queue.GetStatus();
        return status.Completed + status.Dead >= expected && status.Pending + status.Processing + status.Failed == 0;
    }
}
