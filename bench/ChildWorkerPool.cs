using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace QueueCtl.Bench;

/// <summary>
/// Bench child workers (Core's Worker with the no-op executor, one process each), started and
/// warmed up once and then given run after run: starting and warming up four processes took
/// about two seconds, longer than the runs themselves in quick mode.
/// </summary>
internal sealed class ChildWorkerPool(int processes, int slots) : IDisposable
{
    private List<Child>? _children;
    private int _runs;

    /// <summary>
    /// Starts a worker in every child on <paramref name="db"/>: jobs/s until
    /// <paramref name="measured"/> jobs are recorded done. Timed from the moment every worker has
    /// registered and is let go, as the in-process runs are timed from their worker's Started event;
    /// with <paramref name="includeStart"/>, timed from "go" instead, so that the four processes'
    /// own start (opening the file, registering, recovering) is in the figure. Timed to the last
    /// completion when the workers did exactly the measured jobs, else to the poll that saw them
    /// done. The workers are stopped before it returns.
    /// </summary>
    public async Task<double> RunAsync(string db, int measured, bool includeStart = false)
    {
        var children = await StartedAsync().ConfigureAwait(false);
        var run = Interlocked.Increment(ref _runs);
        var ids = Enumerable.Range(0, children.Count).Select(i => $"bench-{Environment.ProcessId}-{run}-{i}").ToList();
        using var watch = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        watch.Open();
        using var count = watch.CreateCommand();
        count.CommandText = $"SELECT coalesce(sum(jobs_done), 0) FROM workers WHERE id IN ({string.Join(",", ids.Select(i => $"'{i}'"))})";
        double rate;
        long startedAt;
        try
        {
            Stopwatch clock;
            if (includeStart)
            {
                clock = Stopwatch.StartNew();
                startedAt = Stopwatch.GetTimestamp();
                for (var i = 0; i < children.Count; i++) children[i].Send($"go {db} {ids[i]}");
            }
            else
            {
                for (var i = 0; i < children.Count; i++) children[i].Send($"open {db} {ids[i]}");
                foreach (var c in children)
                    if (!await c.RegisteredAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false))
                        throw new InvalidOperationException($"child worker {c.Pid} did not register within 30 s: {c.Stderr}");
                clock = Stopwatch.StartNew();
                startedAt = Stopwatch.GetTimestamp();
                foreach (var c in children) c.Send("release");
            }
            while ((long)count.ExecuteScalar()! < measured)
            {
                if (clock.Elapsed > WorkerBench.Patience) throw new InvalidOperationException("the worker processes did not finish in time");
                await Task.Delay(2).ConfigureAwait(false);
            }
            rate = measured / clock.Elapsed.TotalSeconds;
        }
        catch
        {
            // The run's own failure is the one to report: stop the workers (so that the next run finds
            // them waiting) without letting a slow stop replace it.
            foreach (var c in children) c.Send("stop");
            foreach (var c in children) await c.StoppedAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            throw;
        }
        foreach (var c in children) c.Send("stop");
        foreach (var c in children)
            if (!await c.StoppedAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false))
                throw new InvalidOperationException($"child worker {c.Pid} did not stop within 30 s: {c.Stderr}");
        // When the workers did exactly the measured jobs (the queue held no more), the run ended at
        // the last completion the children saw, not at the poll above that noticed it (2 ms apart).
        var runs = children.Select(c => c.LastRun).ToList();
        if (runs.All(r => r is not null) && runs.Sum(r => r!.Value.Completed) == measured)
            rate = measured / Stopwatch.GetElapsedTime(startedAt, runs.Max(r => r!.Value.LastCompletedAt)).TotalSeconds;
        return rate;
    }

    private async Task<List<Child>> StartedAsync()
    {
        if (_children is not null) return _children;
        _children = Enumerable.Range(0, processes)
            .Select(_ => new Child(Paths.ChildWorkerStartInfo(["--slots", slots.ToString(CultureInfo.InvariantCulture)])))
            .ToList();
        await Task.WhenAll(_children.Select(c => c.Ready)).WaitAsync(TimeSpan.FromMinutes(1)).ConfigureAwait(false);
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
