// Child process for the fault campaign (tests/QueueCtl.Tests/Faults). Modes:
//   enqueue --db PATH --prefix P --count N --log FILE [--batch B] [--command CMD]
//       enqueues N jobs (ids P-0 … P-(N-1)) one transaction per job, or B per transaction, and
//       appends each id to FILE only after its enqueue returned (so the log is what was acknowledged).
//   hold-lock --db PATH --seconds S
//       takes the database's write lock (BEGIN EXCLUSIVE), prints "locked", holds it S seconds.
//   sqlite-settings --db PATH [--sqlite-first yes]
//       enqueues one job and prints "memory_used N jobs M": N is 0 when SQLite keeps no memory
//       statistics, one of the settings Core applies before SQLite starts in a process. With
//       --sqlite-first, an in-memory connection starts SQLite before Core opens the queue.
using System.Globalization;
using Microsoft.Data.Sqlite;
using QueueCtl.Core;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;

var options = new Dictionary<string, string>();
for (var i = 1; i + 1 < args.Length; i += 2) options[args[i].TrimStart('-')] = args[i + 1];
string Option(string name, string? fallback = null) =>
    options.TryGetValue(name, out var v) ? v : fallback ?? throw new ArgumentException($"--{name} is required");
int Number(string name, int fallback) => int.Parse(Option(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

switch (args.FirstOrDefault())
{
    case "enqueue":
    {
        var prefix = Option("prefix");
        var count = Number("count", 1000);
        var batch = Number("batch", 1);
        var pause = Number("pause-ms", 0);
        var generatedIds = Option("ids", "given") == "generated";
        var command = Option("command", "true");
        using var queue = JobQueue.Open(Option("db"));
        using var log = new StreamWriter(Option("log"), append: true) { AutoFlush = true };
        for (var start = 0; start < count; start += batch)
        {
            var ids = Enumerable.Range(start, Math.Min(batch, count - start)).Select(n => $"{prefix}-{n}").ToList();
            while (true)
            {
                try
                {
                    // Generated ids: each process's ids must not collide with any other's. One job at a
                    // time goes through Enqueue, as a caller enqueuing jobs one by one would (with a
                    // generated id it waits in the inbox until another transaction moves it).
                    var specs = ids.Select(id => new JobSpec { Id = generatedIds ? null : id, Command = command, MaxRetries = 20 }).ToList();
                    var added = batch == 1 ? [queue.Enqueue(specs[0]).Id] : queue.EnqueueMany(specs).Added;
                    if (generatedIds) ids = [.. added];
                    break;
                }
                catch (QueueException e) when (e.Kind == QueueErrorKind.Busy)
                {
                    Console.Error.WriteLine($"busy, retrying: {e.Message}");
                }
            }
            foreach (var id in ids) log.WriteLine(id);
            if (pause > 0) Thread.Sleep(pause);
        }
        return 0;
    }
    case "sqlite-settings":
    {
        if (Option("sqlite-first", "no") == "yes")
        {
            using var first = new SqliteConnection("Data Source=:memory:");
            first.Open();
        }
        using var queue = JobQueue.Open(Option("db"));
        queue.Enqueue(new JobSpec { Command = "true" });
        Console.WriteLine($"memory_used {SQLitePCL.raw.sqlite3_memory_used()} jobs {queue.ListJobs().Count}");
        return 0;
    }
    case "hold-lock":
    {
        using var connection = new SqliteConnection($"Data Source={Option("db")};Pooling=False");
        connection.Open();
        using (var begin = connection.CreateCommand()) { begin.CommandText = "BEGIN EXCLUSIVE"; begin.ExecuteNonQuery(); }
        Console.WriteLine("locked");
        Console.Out.Flush();
        Thread.Sleep(TimeSpan.FromSeconds(double.Parse(Option("seconds"), CultureInfo.InvariantCulture)));
        using (var commit = connection.CreateCommand()) { commit.CommandText = "COMMIT"; commit.ExecuteNonQuery(); }
        Console.WriteLine("released");
        return 0;
    }
    default:
        Console.Error.WriteLine("usage: QueueCtl.FaultDriver enqueue|hold-lock [options]");
        return 2;
}
