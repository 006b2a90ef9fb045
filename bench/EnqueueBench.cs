using System.Diagnostics;
using System.Text;
using Microsoft.Data.Sqlite;
using QueueCtl.Core;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Storage;

namespace QueueCtl.Bench;

internal static class EnqueueBench
{
    /// <summary>How many jobs the cmdlet path hands to JobQueue.EnqueueMany at once (one transaction each).</summary>
    public const int CmdletChunk = 1000;

    private static List<JobSpec> Specs(int n) => Enumerable.Range(0, n).Select(i => new JobSpec { Command = $"echo hello {i}" }).ToList();

    /// <summary>JobQueue.Enqueue, one job per call (one transaction each), for <paramref name="duration"/>.</summary>
    public static double Single(Scratch scratch, TimeSpan duration, StoreOptions? options = null)
    {
        var path = scratch.NewDatabase("enqueue-one");
        using (var queue = JobQueue.Open(path, options: options))
        {
            queue.Enqueue(new JobSpec { Command = "warm-up" });
            var clock = Stopwatch.StartNew();
            long n = 0;
            while (clock.Elapsed < duration)
            {
                queue.Enqueue(new JobSpec { Command = "echo hello" });
                n++;
            }
            var rate = n / clock.Elapsed.TotalSeconds;
            queue.Dispose();
            Scratch.Delete(path);
            return rate;
        }
    }

    /// <summary>JobQueue.EnqueueMany in chunks of <paramref name="chunk"/> (all at once when chunk ≥ count).</summary>
    public static double Batched(Scratch scratch, int count, int chunk)
    {
        var path = scratch.NewDatabase("enqueue-batch");
        var specs = Specs(count);
        using var queue = JobQueue.Open(path);
        queue.Enqueue(new JobSpec { Command = "warm-up" });
        var clock = Stopwatch.StartNew();
        foreach (var part in specs.Chunk(chunk)) queue.EnqueueMany(part);
        var rate = count / clock.Elapsed.TotalSeconds;
        queue.Dispose();
        Scratch.Delete(path);
        return rate;
    }

    /// <summary>Whether this build's queuectl can do `enqueue --file`: tries it on one job. Returns why not, or null.</summary>
    public static string? CliFileProblem(Scratch scratch) => CliProblem(scratch, file: true);

    /// <summary>Whether this build's queuectl can do a plain `enqueue "cmd"`.</summary>
    public static string? CliSingleProblem(Scratch scratch) => CliProblem(scratch, file: false);

    private static string? CliProblem(Scratch scratch, bool file)
    {
        if (Paths.Queuectl() is null) return "queuectl is not built";
        var path = scratch.NewDatabase("cli-probe");
        var jobs = scratch.File($"probe-{Guid.NewGuid():n}.jsonl");
        File.WriteAllText(jobs, "{\"command\":\"echo probe\"}\n");
        var (code, _, stderr) = RunCli(file ? ["enqueue", "--file", jobs, "--db", path] : ["enqueue", "echo probe", "--db", path]);
        if (code != 0)
            return $"exit code {code}: {FirstLine(stderr)}";
        var count = CountJobs(path);
        return count == 1 ? null : $"exit code 0 but {count} jobs were queued";
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        return line.Length > 70 ? line[..70] + "…" : line;
    }

    private static long CountJobs(string path)
    {
        if (!File.Exists(path)) return 0;
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        // A job enqueued on its own may still wait in the inbox (schema 8).
        command.CommandText = "SELECT (SELECT count(*) FROM jobs) + (SELECT count(*) FROM jobs_inbox)";
        try { return (long)command.ExecuteScalar()!; }
        catch (SqliteException) { return 0; }
    }

    /// <summary>`queuectl enqueue --file` of <paramref name="count"/> JSON lines: jobs/s over the process's wall time.</summary>
    public static double CliFile(Scratch scratch, int count)
    {
        var path = scratch.NewDatabase("cli-file");
        var jobs = scratch.File($"jobs-{count}.jsonl");
        if (!File.Exists(jobs))
        {
            var sb = new StringBuilder();
            for (var i = 0; i < count; i++) sb.Append("{\"command\":\"echo hello ").Append(i).Append("\"}\n");
            File.WriteAllText(jobs, sb.ToString());
        }
        var clock = Stopwatch.StartNew();
        var (code, _, stderr) = RunCli(["enqueue", "--file", jobs, "--db", path]);
        var seconds = clock.Elapsed.TotalSeconds;
        if (code != 0) throw new InvalidOperationException($"queuectl enqueue --file failed ({code}): {FirstLine(stderr)}");
        var queued = CountJobs(path);
        if (queued != count) throw new InvalidOperationException($"queuectl enqueue --file queued {queued} of {count} jobs");
        Scratch.Delete(path);
        return count / seconds;
    }

    /// <summary>Wall time (ms) of one `queuectl enqueue "cmd" --db PATH` process.</summary>
    public static double CliSingle(string path, (string File, string[] Prefix)? exe = null)
    {
        var clock = Stopwatch.StartNew();
        var (code, _, stderr) = RunCli(["enqueue", "echo hello", "--db", path], exe);
        var ms = clock.Elapsed.TotalMilliseconds;
        if (code != 0) throw new InvalidOperationException($"queuectl enqueue failed ({code}): {FirstLine(stderr)}");
        return ms;
    }

    /// <summary>Wall time (ms) of the .NET floor: this bench executable started with --noop, which returns at once.</summary>
    public static double DotnetFloor()
    {
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(Paths.StartInfo(Paths.Self(), ["--noop"]))!;
        process.StandardInput.Close();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return clock.Elapsed.TotalMilliseconds;
    }

    private static (int Code, string Stdout, string Stderr) RunCli(IEnumerable<string> args, (string File, string[] Prefix)? exe = null)
    {
        exe ??= Paths.Queuectl() ?? throw new InvalidOperationException("queuectl is not built");
        using var process = Process.Start(Paths.StartInfo(exe.Value, args))!;
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.Result);
    }
}
