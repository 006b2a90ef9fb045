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
    /// <paramref name="measured"/> jobs are recorded done, timed from "go". The workers are
    /// stopped before it returns.
    /// </summary>
    public async Task<double> RunAsync(string db, int measured)
    {
        var children = await StartedAsync().ConfigureAwait(false);
        var run = Interlocked.Increment(ref _runs);
        var ids = Enumerable.Range(0, children.Count).Select(i => $"bench-{Environment.ProcessId}-{run}-{i}").ToList();
        using var watch = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        watch.Open();
        using var count = watch.CreateCommand();
        count.CommandText = $"SELECT coalesce(sum(jobs_done), 0) FROM workers WHERE id IN ({string.Join(",", ids.Select(i => $"'{i}'"))})";
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < children.Count; i++) children[i].Send($"go {db} {ids[i]}");
        try
        {
            while ((long)count.ExecuteScalar()! < measured)
            {
                if (clock.Elapsed > WorkerBench.Patience) throw new InvalidOperationException("the worker processes did not finish in time");
                await Task.Delay(2).ConfigureAwait(false);
            }
            return measured / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            foreach (var c in children) c.Send("stop");
            foreach (var c in children)
                if (!await c.StoppedAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false))
                    throw new InvalidOperationException($"child worker {c.Pid} did not stop within 30 s: {c.Stderr}");
        }
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
