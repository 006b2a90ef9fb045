using System.Text.Json;
using QueueCtl.Core.Jobs;
using QueueCtl.Tests.Support;

namespace QueueCtl.Tests.Cli;

public class EnqueueTests
{
    [Fact]
    public void Json_argument_with_every_field_is_stored_as_given()
    {
        using var temp = new TempQueue();
        var json = """
            {"id":"job1","command":"echo hi","shell":"none","queue":"q1","priority":5,"max_retries":2,"timeout_sec":30,
             "run_at":"2030-01-02T03:04:05Z","working_directory":"/tmp","environment":{"A":"1","B":"two"}}
            """;
        var result = Cli.Ok(temp, "enqueue", json);
        Assert.Contains("enqueued job1", result.StdOut);
        var job = Cli.Job(temp, "job1");
        Assert.Equal("echo hi", job.Command);
        Assert.Equal(JobShell.None, job.Shell);
        Assert.Equal("q1", job.Queue);
        Assert.Equal(5, job.Priority);
        Assert.Equal(2, job.MaxRetries);
        Assert.Equal(30, job.TimeoutSec);
        Assert.Equal(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero), job.RunAt);
        Assert.Equal("/tmp", job.WorkingDirectory);
        Assert.Equal("two", job.Environment["B"]);
        Assert.Equal(JobState.Pending, job.State);
    }

    [Fact]
    public void Classic_json_spellings_timeout_and_delay_are_accepted()
    {
        using var temp = new TempQueue();
        Cli.Ok(temp, "enqueue", """{"id":"t","command":"echo hi","timeout":7,"delay":"5m"}""");
        var job = Cli.Job(temp, "t");
        Assert.Equal(7, job.TimeoutSec);
        Assert.True(job.RunAt > DateTimeOffset.UtcNow.AddMinutes(3));
    }

    [Fact]
    public void Plain_command_with_every_option()
    {
        using var temp = new TempQueue();
        Directory.CreateDirectory(temp.File("work"));
        var result = CliRunner.Run(null, null, Cli.Generous, "--db", temp.DatabasePath, "enqueue", "echo hi", "--id", "p1", "--max-retries", "3",
            "--timeout", "30", "--priority", "-5", "--queue", "q", "--delay", "2h", "--shell", "sh", "--env", "A=1", "--env", "B=x=y",
            "--cwd", temp.File("work"), "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var json = Cli.Json(result);
        Assert.Equal("p1", json.GetProperty("added")[0].GetString());
        Assert.Equal(0, json.GetProperty("skipped").GetArrayLength());
        var job = Cli.Job(temp, "p1");
        Assert.Equal((3, 30, -5, "q"), (job.MaxRetries, job.TimeoutSec, job.Priority, job.Queue));
        Assert.Equal("x=y", job.Environment["B"]);
        Assert.Equal(temp.File("work"), job.WorkingDirectory);
        Assert.InRange(job.RunAt - DateTimeOffset.UtcNow, TimeSpan.FromHours(1.9), TimeSpan.FromHours(2.1));
    }

    [Fact]
    public void Run_at_takes_iso_8601_and_several_words_become_one_command()
    {
        using var temp = new TempQueue();
        Cli.Ok(temp, "enqueue", "--id", "at", "--run-at", "2031-06-01T12:00:00+02:00", "--", "printf", "%s\\n", "two words");
        var job = Cli.Job(temp, "at");
        Assert.Equal(new DateTimeOffset(2031, 6, 1, 10, 0, 0, TimeSpan.Zero), job.RunAt);
        Assert.Equal("printf '%s\\n' 'two words'", job.Command);
    }

    [Fact]
    public void Relative_cwd_is_resolved_against_the_callers_directory()
    {
        using var temp = new TempQueue();
        Directory.CreateDirectory(temp.File("sub"));
        var startInfo = new System.Diagnostics.ProcessStartInfo(RepoPaths.QueueCtlCommand[0]) { WorkingDirectory = temp.Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in RepoPaths.QueueCtlCommand.Skip(1).Concat(["--db", temp.DatabasePath, "enqueue", "pwd", "--id", "rel", "--cwd", "sub"]))
            startInfo.ArgumentList.Add(arg);
        using (var process = System.Diagnostics.Process.Start(startInfo)!)
        {
            process.StandardOutput.ReadToEnd();
            Assert.True(process.WaitForExit(120_000));
            Assert.Equal(0, process.ExitCode);
        }
        Assert.Equal(temp.File("sub"), Cli.Job(temp, "rel").WorkingDirectory);
        // Relative working_directory in JSON is resolved the same way: against the caller, not the file.
        Assert.Equal(Path.GetFullPath("elsewhere"), JobJsonCwd(temp));
    }

    private static string? JobJsonCwd(TempQueue temp)
    {
        Cli.Ok(temp, "enqueue", """{"id":"rel2","command":"pwd","working_directory":"elsewhere"}""");
        return Cli.Job(temp, "rel2").WorkingDirectory;
    }

    [Fact]
    public void File_of_json_lines_enqueues_every_job()
    {
        using var temp = new TempQueue();
        File.WriteAllText(temp.File("jobs.jsonl"), """
            {"id":"a","command":"echo a"}

            {"id":"b","command":"echo b","priority":3}
            {"id":"c","command":"echo c","queue":"other"}
            """);
        var result = Cli.Ok(temp, "enqueue", "--file", temp.File("jobs.jsonl"));
        Assert.Contains("enqueued c", result.StdOut);
        Assert.Equal(3, Cli.Job(temp, "b").Priority);
        Assert.Equal("other", Cli.Job(temp, "c").Queue);
    }

    [Fact]
    public void Field_names_written_with_json_escapes_are_the_same_fields()
    {
        using var temp = new TempQueue();
        File.WriteAllText(temp.File("jobs.jsonl"), """
            {"id":"e1","comm\u0061nd":"echo escaped","\u0071ueue":"q1"}
            """);
        Cli.Ok(temp, "enqueue", "--file", temp.File("jobs.jsonl"));
        Assert.Equal("echo escaped", Cli.Job(temp, "e1").Command);
        Assert.Equal("q1", Cli.Job(temp, "e1").Queue);
    }

    [Fact]
    public void File_with_a_json_array_and_stdin_both_work()
    {
        using var temp = new TempQueue();
        File.WriteAllText(temp.File("jobs.json"), """
            [
              {"id": "x1", "command": "echo 1"},
              {"id": "x2", "command": "echo 2"}
            ]
            """);
        Cli.Ok(temp, "enqueue", "-f", temp.File("jobs.json"));
        var fromStdin = Cli.RunWithInput(temp, "{\"id\":\"s1\",\"command\":\"echo s\"}\n{\"id\":\"s2\",\"command\":\"echo t\"}\n", "enqueue", "-", "--json");
        Assert.True(fromStdin.ExitCode == 0, fromStdin.ToString());
        Assert.Equal(["s1", "s2"], Cli.Json(fromStdin).GetProperty("added").EnumerateArray().Select(e => e.GetString()));
        var viaFileDash = Cli.RunWithInput(temp, "[{\"id\":\"s3\",\"command\":\"echo u\"}]", "enqueue", "--file", "-");
        Assert.True(viaFileDash.ExitCode == 0, viaFileDash.ToString());
        Assert.Equal("echo 2", Cli.Job(temp, "x2").Command);
        Assert.Equal("echo u", Cli.Job(temp, "s3").Command);
    }

    /// <summary>
    /// Files of more than 1 MiB are written while they are read, with the collector paused: every
    /// job must still arrive, in the file's order, from JSON lines and from an array alike.
    /// </summary>
    [Theory]
    [InlineData("jobs.jsonl")]
    [InlineData("jobs.json")]
    public void A_large_file_is_enqueued_whole_in_order(string name)
    {
        using var temp = new TempQueue();
        const int count = 40_000;
        var jobs = Enumerable.Range(0, count).Select(i => $"{{\"id\":\"big-{i:00000}\",\"command\":\"echo {i}\",\"priority\":{i % 3}}}");
        File.WriteAllText(temp.File(name), name.EndsWith(".json") ? "[\n" + string.Join(",\n", jobs) + "\n]\n" : string.Join("\n", jobs) + "\n");
        Assert.True(new FileInfo(temp.File(name)).Length > 1 << 20, "the file should be large enough for the collector to be paused");

        var result = Cli.Ok(temp, "enqueue", "--file", temp.File(name));

        Assert.Equal($"enqueued {count} jobs (big-00000 ... big-39999)", result.StdOut.Trim());
        using var queue = QueueCtl.Core.JobQueue.Open(temp.DatabasePath);
        var stored = queue.ListJobs(); // in enqueue order
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"big-{i:00000}:echo {i}:{i % 3}"),
            stored.Select(j => $"{j.Id}:{j.Command}:{j.Priority}"));
    }

    [Fact]
    public void Json_argument_may_be_an_array_of_jobs()
    {
        using var temp = new TempQueue();
        var result = Cli.Ok(temp, "enqueue", """[{"id":"arr1","command":"echo 1"}, {"id":"arr2","command":"echo 2"}]""");
        Assert.Equal(["enqueued arr1", "enqueued arr2"], result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("echo 2", Cli.Job(temp, "arr2").Command);
    }

    [Fact]
    public void Skip_existing_skips_duplicates_instead_of_refusing()
    {
        using var temp = new TempQueue();
        Cli.Ok(temp, "enqueue", "--id", "dup", "echo first");
        File.WriteAllText(temp.File("jobs.jsonl"), "{\"id\":\"dup\",\"command\":\"echo second\"}\n{\"id\":\"new\",\"command\":\"echo new\"}\n");
        var result = Cli.Ok(temp, "enqueue", "--file", temp.File("jobs.jsonl"), "--skip-existing", "--json");
        var json = Cli.Json(result);
        Assert.Equal("new", json.GetProperty("added")[0].GetString());
        Assert.Equal("dup", json.GetProperty("skipped")[0].GetString());
        Assert.Equal("echo first", Cli.Job(temp, "dup").Command);
    }

    [Fact]
    public void Shell_groups_and_tests_are_commands_not_json()
    {
        using var temp = new TempQueue();
        Cli.Ok(temp, "enqueue", "--id", "group", "{ echo a; echo b; }");
        Cli.Ok(temp, "enqueue", "--id", "test", "[ -d /tmp ] && echo yes");
        Assert.Equal("{ echo a; echo b; }", Cli.Job(temp, "group").Command);
        Assert.Equal("[ -d /tmp ] && echo yes", Cli.Job(temp, "test").Command);
    }

    [Fact]
    public void Generated_ids_are_printed_and_sortable()
    {
        using var temp = new TempQueue();
        var first = Cli.Ok(temp, "add", "echo one").StdOut.Trim().Split(' ')[1];
        var second = Cli.Ok(temp, "enqueue", "echo two").StdOut.Trim().Split(' ')[1];
        Assert.True(string.CompareOrdinal(first, second) < 0, $"{first} then {second}");
        Assert.Equal("echo two", Cli.Job(temp, second).Command);
    }
}
