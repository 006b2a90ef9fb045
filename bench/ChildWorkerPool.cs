using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace QueueCtl.Bench;

/// <summary>
/// Bench child workers (Core's Worker with the no-op executor, one process each), started and
/// warmed up once and then given run after run: starting and warming up four processes took
/// about two seconds, longer than the runs themselves in quick mode.
/// </summary>
internal sealed class ChildWorkerPool(int processes, int slots, string warmUpDb) : IDisposable
{
    /// <summary>
    /// Runs of <see cref="WarmUpJobs"/> jobs the children make together, unmeasured, before the first
    /// measured one: each child's own warm-up (one worker alone on a scratch queue) is not enough. Four
    /// children measured from their first run: medians of 31–48k jobs/s over runs 1–5, 50–65k over
    /// runs 21–40; after these warm-up runs, 41–59k over their first five.
    /// </summary>
    private const int WarmUpRuns = 20;
    private const int WarmUpJobs = 1_000;

    private List<Child>? _children;
    private int _runs;

    /// <summary>
    /// Starts a worker in every child on <paramref name="db"/>: jobs/s until
    /// <paramref name="measured"/> jobs are recorded done. Timed from the moment every worker has
    /// registered and is let go, as the in-process runs are timed from their worker's Started event;
    /// with <paramref name="includeStart"/>, timed from "go" instead, so that the four processes'
    /// own start (opening the file, registering, recovering) is in the figure. When the queue holds
    /// just the measured jobs, the workers drain it and stop by themselves, and the run is timed to
    /// the last completion they report, with nothing of the bench's running beside them. Otherwise
    /// the bench polls their count of jobs done, and the workers are stopped before it returns.
    /// </summary>
    public async Task<double> RunAsync(string db, int measured, bool includeStart = false) =>
        await RunAsync(await StartedAsync().ConfigureAwait(false), db, measured, includeStart).ConfigureAwait(false);

    private async Task<double> RunAsync(List<Child> children, string db, int measured, bool includeStart)
    {
        var run = Interlocked.Increment(ref _runs);
        var ids = Enumerable.Range(0, children.Count).Select(i => $"bench-{Environment.ProcessId}-{run}-{i}").ToList();
        using var watch = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        watch.Open();
        var drain = DueJobs(watch) == measured;
        var mode = drain ? " drain" : "";
        long startedAt;
        var polledRate = 0.0;
        try
        {
            if (includeStart)
            {
                startedAt = Stopwatch.GetTimestamp();
                for (var i = 0; i < children.Count; i++) children[i].Send($"go {db} {ids[i]}{mode}");
            }
            else
            {
                for (var i = 0; i < children.Count; i++) children[i].Send($"open {db} {ids[i]}{mode}");
                foreach (var c in children)
                    if (!await c.RegisteredAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false))
                        throw new InvalidOperationException($"child worker {c.Pid} did not register within 30 s: {c.Stderr}");
                startedAt = Stopwatch.GetTimestamp();
                foreach (var c in children) c.Send("release");
            }
            if (drain)
            {
                foreach (var c in children)
                    if (!await c.StoppedAsync(WorkerBench.Patience).ConfigureAwait(false))
                        throw new InvalidOperationException($"child worker {c.Pid} did not drain the queue in time: {c.Stderr}");
            }
            else
            {
                using var count = watch.CreateCommand();
                count.CommandText = $"SELECT coalesce(sum(jobs_done), 0) FROM workers WHERE id IN ({string.Join(",", ids.Select(i => $"'{i}'"))})";
                while ((long)count.ExecuteScalar()! < measured)
                {
                    if (Stopwatch.GetElapsedTime(startedAt) > WorkerBench.Patience) throw new InvalidOperationException("the worker processes did not finish in time");
                    await Task.Delay(2).ConfigureAwait(false);
                }
                polledRate = measured / Stopwatch.GetElapsedTime(startedAt).TotalSeconds;
            }
        }
        catch
        {
            // The run's own failure is the one to report: stop the workers (so that the next run finds
            // them waiting) without letting a slow stop replace it.
            foreach (var c in children) c.Send("stop");
            foreach (var c in children) await c.StoppedAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            throw;
        }
        if (!drain)
        {
            foreach (var c in children) c.Send("stop");
            foreach (var c in children)
                if (!await c.StoppedAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false))
                    throw new InvalidOperationException($"child worker {c.Pid} did not stop within 30 s: {c.Stderr}");
        }
        // When the workers did exactly the measured jobs (the queue held no more), the run ended at
        // the last completion the children saw, not at the poll above that noticed it (2 ms apart).
        var runs = children.Select(c => c.LastRun).ToList();
        if (runs.All(r => r is not null) && runs.Sum(r => r!.Value.Completed) == measured)
            return measured / Stopwatch.GetElapsedTime(startedAt, runs.Max(r => r!.Value.LastCompletedAt)).TotalSeconds;
        if (drain)
            throw new InvalidOperationException($"the worker processes drained a queue of {measured} jobs but report {runs.Sum(r => r?.Completed ?? 0)} completed");
        return polledRate;
    }

    /// <summary>Jobs waiting to run (pending or failed) in the queue, those still in its inbox included.</summary>
    private static long DueJobs(SqliteConnection connection)
    {
        using var due = connection.CreateCommand();
        due.CommandText = "SELECT (SELECT count(*) FROM jobs WHERE state IN ('pending', 'failed')) + (SELECT count(*) FROM jobs_inbox)";
        return (long)due.ExecuteScalar()!;
    }

    private async Task<List<Child>> StartedAsync()
    {
        if (_children is not null) return _children;
        _children = Enumerable.Range(0, processes)
            .Select(_ => new Child(Paths.ChildWorkerStartInfo(["--slots", slots.ToString(CultureInfo.InvariantCulture)])))
            .ToList();
        await Task.WhenAll(_children.Select(c => c.Ready)).WaitAsync(TimeSpan.FromMinutes(1)).ConfigureAwait(false);
        for (var i = 0; i < WarmUpRuns; i++)
        {
            WorkerBench.Fill(warmUpDb, WarmUpJobs);
            await RunAsync(_children, warmUpDb, WarmUpJobs, includeStart: false).ConfigureAwait(false);
        }
        return _children;
    }

    public void Dispose()
    {
        if (_children is null) return;
        foreach (var c in _children) c.CloseInput();
        foreach (var c in _children) c.WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        foreach (var c in _children) c.Dispose();
    }
}
