using System.Collections.Concurrent;
using System.Text;
using Microsoft.Data.Sqlite;
using QueueCtl.Core;
using QueueCtl.Core.Jobs;
using QueueCtl.Tests.Support;
using Xunit.Abstractions;

namespace QueueCtl.Tests.Faults;

/// <summary>
/// Fault 8: bad input at scale. Every generated hostile input to `queuectl enqueue` (argument,
/// --file, stdin) and to the config verbs is refused with exit code 2 and a one-line message
/// naming what was wrong; the process never crashes; the database never changes.
/// </summary>
[Collection("Faults")]
[Trait("Category", "Faults")]
public sealed class HostileInputTests(ITestOutputHelper output)
{
    [Fact]
    public void Every_hostile_input_is_refused_cleanly_and_changes_nothing()
    {
        using var temp = new TempQueue();
        using (var queue = JobQueue.Open(temp.DatabasePath))
        {
            queue.EnqueueMany(Enumerable.Range(0, 5).Select(n => new JobSpec { Id = $"existing-{n}", Command = "true" }));
            queue.SetConfig("max_retries", "4");
        }
        var before = Dump(temp.DatabasePath);
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var cases = HostileInput.Generate(FaultScale.Pick(60, 3_000), seed).ToList();

        var failures = new ConcurrentBag<string>();
        var caseNumber = 0;
        Parallel.ForEach(cases, new ParallelOptions { MaxDegreeOfParallelism = 2 }, hostile =>
        {
            var number = Interlocked.Increment(ref caseNumber);
            var result = Run(temp, hostile, number);
            var problem = result.ExitCode != 2 ? $"exit code {result.ExitCode}, not 2"
                : !result.StdErr.StartsWith("queuectl: ", StringComparison.Ordinal) ? "stderr is not one 'queuectl: …' message"
                : result.StdErr.Contains("Unhandled", StringComparison.Ordinal) || result.StdErr.Contains("   at ", StringComparison.Ordinal) ? "it crashed with a stack trace"
                : !result.StdErr.Contains(hostile.MustMention, StringComparison.OrdinalIgnoreCase) ? $"the message does not mention '{hostile.MustMention}'"
                : null;
            if (problem is not null)
                failures.Add($"{hostile}: {problem}\n{Cut(result.StdErr)}");
        });
        var after = Dump(temp.DatabasePath);

        FaultReport.Record(new FaultOutcome("hostile inputs to enqueue (arg, --file, stdin) and config", cases.Count, 5, 0, 0,
            before == after ? 0 : 1, 0, QueueAudit.IntegrityFailures(temp.DatabasePath),
            $"{cases.Count - failures.Count} of {cases.Count} refused cleanly; database {(before == after ? "unchanged" : "CHANGED")}"), output);
        Assert.True(failures.IsEmpty, string.Join("\n\n", failures.Take(15)));
        Assert.Equal(before, after);
    }

    private static CliResult Run(TempQueue temp, HostileCase hostile, int number)
    {
        var timeout = TimeSpan.FromSeconds(60);
        switch (hostile.Channel)
        {
            case InputChannel.Argument:
                return CliRunner.Run(null, null, timeout, "enqueue", hostile.Text, "--db", temp.DatabasePath);
            case InputChannel.File:
                var file = temp.File($"hostile-{number}.jsonl");
                File.WriteAllBytes(file, hostile.Bytes);
                return CliRunner.Run(null, null, timeout, "enqueue", "--file", file, "--db", temp.DatabasePath);
            case InputChannel.Stdin:
                // Raw bytes on stdin (invalid UTF-8 included): a file stands in for the pipe.
                var input = temp.File($"stdin-{number}.bin");
                File.WriteAllBytes(input, hostile.Bytes);
                return RunWithStdinFile(input, temp.DatabasePath, timeout);
            default:
                return CliRunner.Run(null, null, timeout, [.. hostile.ConfigArgs!, "--db", temp.DatabasePath]);
        }
    }

    private static CliResult RunWithStdinFile(string input, string database, TimeSpan timeout)
    {
        // The input file is sh's $1, the command line the rest: nothing to quote by hand.
        var startInfo = new System.Diagnostics.ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-c", "input=$1; shift; exec \"$@\" < \"$input\"", "sh", input }
                     .Concat(RepoPaths.QueueCtlCommand).Concat(["enqueue", "--file", "-", "--db", database]))
            startInfo.ArgumentList.Add(arg);
        startInfo.Environment.Remove("QUEUECTL_DB");
        using var process = System.Diagnostics.Process.Start(startInfo)!;
        return CliRunner.Collect(process, null, timeout, "queuectl enqueue --file -");
    }

    /// <summary>Every row of every table, as text: equal dumps mean nothing changed.</summary>
    private static string Dump(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        var text = new StringBuilder();
        foreach (var table in new[] { "jobs", "attempts", "config", "workers" })
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM {table} ORDER BY 1";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                for (var i = 0; i < reader.FieldCount; i++) text.Append(reader.IsDBNull(i) ? "∅" : reader.GetValue(i)).Append('|');
                text.Append('\n');
            }
        }
        return text.ToString();
    }

    private static string Cut(string text) => text.Length > 400 ? text[..400] + "…" : text;
}
