using Microsoft.Data.Sqlite;
using QueueCtl.Core;
using QueueCtl.Core.Jobs;
using QueueCtl.Tests.Support;

namespace QueueCtl.Tests.Cli;

/// <summary>
/// DESIGN.md, "Bad input and faults", as it reaches the command line: each case is refused with
/// a message naming the problem, the documented exit code, and the database left as it was.
/// </summary>
public class BadInputTests
{
    public static TheoryData<string, int, string[], string[]> Refusals() => new()
    {
        // what, exit code, arguments, fragments the message must contain
        { "malformed JSON", 2, ["enqueue", """{"command": "echo hi" """], ["not valid JSON"] },
        { "JSON that is not an object", 2, ["enqueue", """[{"command":"echo a"}, 2]"""], ["item 2", "object"] },
        { "absurd number (option)", 2, ["enqueue", "echo hi", "--priority", "99999999999999999999"], ["--priority", "range"] },
        { "two JSON values in one argument", 2, ["enqueue", """{"command":"a"}{"command":"b"}"""], ["more than one JSON value"] },
        { "unclosed array of jobs", 2, ["enqueue", """[{"command":"a"},{"command":"b"}"""], ["not valid JSON"] },
        { "JSON null", 2, ["enqueue", "null"], ["JSON object"] },
        { "unquoted key", 2, ["enqueue", """{id:"x","command":"y"}"""], ["not valid JSON"] },
        { "unknown field", 2, ["enqueue", """{"command":"echo hi","colour":"red"}"""], ["unknown field 'colour'"] },
        { "duplicate field", 2, ["enqueue", """{"command":"echo hi","command":"echo ho"}"""], ["\"command\" is given twice"] },
        { "wrong type (string for number)", 2, ["enqueue", """{"command":"echo hi","priority":"high"}"""], ["\"priority\"", "whole number"] },
        { "wrong type (number for string)", 2, ["enqueue", """{"command":42}"""], ["\"command\"", "expected a string"] },
        { "wrong type (fraction)", 2, ["enqueue", """{"command":"x","max_retries":1.5}"""], ["\"max_retries\"", "1.5"] },
        { "wrong type (environment value)", 2, ["enqueue", """{"command":"x","environment":{"A":1}}"""], ["environment", "'A'"] },
        { "absurd number", 2, ["enqueue", """{"command":"x","priority":1e30}"""], ["\"priority\"", "range"] },
        { "negative max_retries", 2, ["enqueue", """{"command":"x","max_retries":-1}"""], ["max_retries -1"] },
        { "absurd timeout", 2, ["enqueue", """{"command":"x","timeout":99999999}"""], ["timeout 99999999"] },
        { "priority out of range (option)", 2, ["enqueue", "echo hi", "--priority", "5000"], ["priority 5000"] },
        { "negative retries (option)", 2, ["enqueue", "echo hi", "--max-retries", "-3"], ["max_retries -3"] },
        { "not a number (option)", 2, ["enqueue", "echo hi", "--timeout", "soon"], ["--timeout", "'soon'"] },
        { "bad id", 2, ["enqueue", "echo hi", "--id", "bad id!"], ["'bad id!'", "not valid"] },
        { "bad id in JSON", 2, ["enqueue", """{"id":"a/b","command":"x"}"""], ["'a/b'", "not valid"] },
        { "too long id", 2, ["enqueue", "echo hi", "--id", new string('x', 129)], ["129 characters"] },
        { "duplicate id", 4, ["enqueue", "echo again", "--id", "existing"], ["'existing' already exists"] },
        { "empty command", 2, ["enqueue", ""], ["empty command"] },
        { "blank command in JSON", 2, ["enqueue", """{"command":"   "}"""], ["empty command"] },
        { "missing command in JSON", 2, ["enqueue", """{"id":"x"}"""], ["no \"command\""] },
        { "nothing to enqueue", 2, ["enqueue"], ["Nothing to enqueue"] },
        { "unparsable time (option)", 2, ["enqueue", "echo hi", "--run-at", "tomorrow"], ["'tomorrow'", "ISO 8601"] },
        { "unparsable time (JSON)", 2, ["enqueue", """{"command":"x","run_at":"2026-13-45T99:00"}"""], ["\"run_at\"", "ISO 8601"] },
        { "unparsable delay", 2, ["enqueue", "echo hi", "--delay", "a while"], ["'a while'", "duration"] },
        { "run-at and delay", 2, ["enqueue", "echo hi", "--delay", "1m", "--run-at", "2030-01-01T00:00:00Z"], ["both"] },
        { "time before 2000", 2, ["enqueue", "echo hi", "--run-at", "1999-01-01"], ["run-at"] },
        { "unknown shell", 2, ["enqueue", "echo hi", "--shell", "bash"], ["'bash'", "sh, cmd, pwsh or none"] },
        { "bad env pair", 2, ["enqueue", "echo hi", "--env", "NOEQUALS"], ["NAME=VALUE"] },
        { "job options with JSON", 2, ["enqueue", """{"command":"x"}""", "--priority", "3"], ["--priority", "fields"] },
        { "typo in an option", 2, ["enqueue", "echo hi", "--max-retry", "3"], ["'--max-retry'"] },
        { "unknown state", 2, ["list", "--state", "sleeping"], ["no job state 'sleeping'", "pending"] },
        { "unknown queue", 3, ["list", "--queue", "nosuch"], ["'nosuch'", "default"] },
        { "invalid queue name", 2, ["list", "--queue", "no such"], ["'no such'"] },
        { "bad limit", 2, ["list", "--limit", "0"], ["--limit"] },
        { "unknown job (show)", 3, ["show", "nosuch"], ["'nosuch'"] },
        { "unknown job (logs)", 3, ["logs", "nosuch"], ["'nosuch'"] },
        { "unknown job (dlq retry)", 3, ["dlq", "retry", "nosuch"], ["'nosuch'"] },
        { "retry of a job that is not dead", 4, ["dlq", "retry", "existing"], ["'existing'", "not dead"] },
        { "dlq retry without ids", 2, ["dlq", "retry"], ["--all"] },
        { "unknown config key", 2, ["config", "set", "colour", "blue"], ["'colour'", "max_retries"] },
        { "unknown config key (get)", 2, ["config", "get", "colour"], ["'colour'"] },
        { "config value out of range", 2, ["config", "set", "max_retries", "-1"], ["max_retries", "0..1000"] },
        { "config value not a number", 2, ["config", "--key", "backoff_base", "--value", "fast"], ["'fast'", "backoff_base"] },
        { "unknown worker", 3, ["worker", "stop", "w-nosuch"], ["'w-nosuch'"] },
        { "bad worker count", 2, ["worker", "start", "--count", "0"], ["--count"] },
        { "bad concurrency", 2, ["worker", "start", "--concurrency", "0", "--once"], ["1 to 256"] },
        { "bad worker queue", 2, ["worker", "run", "--queue", "bad queue", "--once"], ["'bad queue'"] },
        { "unknown verb", 2, ["frobnicate"], ["'frobnicate'", "--help"] },
        { "unknown option", 2, ["list", "--colour"], ["'--colour'", "queuectl list --help"] },
        { "missing argument", 2, ["show"], ["queuectl show --help"] },
        { "missing file", 2, ["enqueue", "--file", "/nonexistent/jobs.jsonl"], ["no such file"] },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Is_refused_and_changes_nothing(string what, int exitCode, string[] args, string[] fragments)
    {
        using var temp = new TempQueue();
        Cli.Ok(temp, "enqueue", "--id", "existing", "echo existing");
        var before = Cli.Snapshot(temp.DatabasePath);
        var result = Cli.Run(temp, args);
        Cli.AssertRefused(result, exitCode, fragments);
        Assert.True(before == Cli.Snapshot(temp.DatabasePath), $"{what}: the database changed");
    }

    public static TheoryData<string, string, string, int> BadFiles() => new()
    {
        // name, content, fragments (| separated), exit code
        { "jobs.jsonl", "{\"id\":\"a\",\"command\":\"echo a\"}\n{\"id\":\"b\",\"command\":\"echo b\"}\n{\"id\":\"c\",\"comand\":\"echo c\"}\n", "line 3|unknown field 'comand'", 2 },
        { "jobs.jsonl", "{\"id\":\"a\",\"command\":\"echo a\"}\n{\"id\":\"b\",\"command\":\"echo b\"\n", "line 2|not valid JSON", 2 },
        { "jobs.jsonl", "{\"id\":\"a\",\"command\":\"echo a\"}\n{\"id\":\"b\",\"command\":\"echo b\",\"priority\":-9999}\n", "line 2|priority -9999", 2 },
        { "jobs.jsonl", "{\"id\":\"a\",\"command\":\"echo a\"}\n{\"id\":\"a\",\"command\":\"echo b\"}\n", "line 2|line 1|'a'", 2 },
        // The first problem in the file's order is the one named: a refused job before a repeated id, or the repeat itself refused.
        { "jobs.jsonl", "{\"id\":\"a\",\"command\":\"echo a\"}\n{\"id\":\"b\",\"command\":\"echo b\",\"priority\":-9999}\n{\"id\":\"a\",\"command\":\"echo c\"}\n", "line 2|priority -9999", 2 },
        { "jobs.jsonl", "{\"id\":\"a\",\"command\":\"echo a\"}\n{\"id\":\"a\",\"command\":\"\"}\n", "line 2|empty command", 2 },
        { "jobs.jsonl", "{\"id\":\"a\",\"command\":\"echo a\"}\n{\"id\":\"existing\",\"command\":\"echo b\"}\n", "line 2|'existing' already exists", 4 },
        { "jobs.json", "[\n  {\"id\":\"a\",\"command\":\"echo a\"},\n  {\"id\":\"b\",\"command\":\"\"}\n]", "line 3|empty command", 2 },
        { "jobs.json", "[\n  {\"id\":\"a\",\"command\":\"echo a\"},\n  \"echo b\"\n]", "line 3|item 2", 2 },
        { "jobs.json", "[{\"id\":\"a\",\"command\":\"echo a\"}] trailing", "more text after", 2 },
        { "empty.jsonl", "\n\n", "holds no jobs", 2 },
        { "garbage.jsonl", "\u0001\u0002 this is not json", "line 1|not valid JSON", 2 },
        // A field's own line, inside a job written over several lines.
        { "jobs.json", "[\n  {\n    \"command\": \"echo a\",\n    \"priority\": \"high\"\n  }\n]", "line 4|field \"priority\"", 2 },
        { "jobs.jsonl", "{\"command\":\"echo a\"}\n{\"command\":\"echo b\",\"queue\":\"x\",\"queue\":\"y\"}\n", "line 2|\"queue\" is given twice", 2 },
        { "jobs.jsonl", "{\"command\":\"echo a\"}\n{\"command\":\"echo b\",\"timeout\":5,\n\"timeout_sec\":6}\n", "line 3|both set the timeout", 2 },
        { "jobs.jsonl", "{\"command\":\"echo a\"}\n{\"queue\":\"x\"}\n", "line 2|no \"command\" field", 2 },
        // Jobs are checked as they are read: a refused job before broken JSON is the one named, and the other way round.
        { "jobs.jsonl", "{\"command\":\"echo a\",\"priority\":-9999}\n{\"command\":\"echo b\",}\n", "line 1|priority -9999", 2 },
        { "jobs.jsonl", "{\"command\":\"echo a\",}\n{\"command\":\"echo b\",\"priority\":-9999}\n", "line 1|not valid JSON", 2 },
        { "jobs.json", "[\n  {\"command\":\"echo a\",\"priority\":-9999},\n  {\"command\":\"echo b\"},\n  2\n]", "line 2|priority -9999", 2 },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_file_with_a_bad_line_enqueues_nothing_and_names_the_line(string name, string content, string fragments, int exitCode)
    {
        using var temp = new TempQueue();
        Cli.Ok(temp, "enqueue", "--id", "existing", "echo existing");
        File.WriteAllText(temp.File(name), content);
        var before = Cli.Snapshot(temp.DatabasePath);
        var result = Cli.Run(temp, "enqueue", "--file", temp.File(name));
        Cli.AssertRefused(result, exitCode, [name, .. fragments.Split('|')]);
        Assert.Equal(before, Cli.Snapshot(temp.DatabasePath));
    }

    public static TheoryData<int, int, string, string> LargeFilesWithABadLine() => new()
    {
        // lines, the line (from 0) replaced, its text, fragments (| separated)
        // Refused by Core: checked while the jobs before it are written (BatchValidation).
        { 9_000, 8_500, "{\"command\":\"echo late\",\"timeout\":-1}", "line 8501|timeout -1" },
        // An id repeated far from its first use: caught as the file is read.
        { 30_000, 29_000, "{\"id\":\"job-6\",\"command\":\"echo again\"}", "line 29001|'job-6'|line 7" },
    };

    [Theory]
    [MemberData(nameof(LargeFilesWithABadLine))]
    public void A_large_file_with_a_bad_line_far_down_enqueues_nothing_and_names_its_line(int count, int bad, string badLine, string fragments)
    {
        using var temp = new TempQueue();
        Cli.Ok(temp, "enqueue", "--id", "existing", "echo existing");
        var lines = Enumerable.Range(0, count).Select(i => $"{{\"id\":\"job-{i}\",\"command\":\"echo {i}\"}}").ToList();
        lines[bad] = badLine;
        File.WriteAllText(temp.File("jobs.jsonl"), string.Join("\n", lines) + "\n");
        var before = Cli.Snapshot(temp.DatabasePath);

        var result = Cli.Run(temp, "enqueue", "--file", temp.File("jobs.jsonl"));

        Cli.AssertRefused(result, 2, ["jobs.jsonl", .. fragments.Split('|')]);
        Assert.Equal(before, Cli.Snapshot(temp.DatabasePath));
    }

    /// <summary>
    /// An array written a field to a line, long enough to be read while it is written. Each job is
    /// read by a JSON reader that carries on from the last one's state, so lines must still count
    /// from the top of the file: a refused job is named by the line it starts on, broken JSON by
    /// the line where it breaks.
    /// </summary>
    [Theory]
    [InlineData("    \"priority\": 5000\n", "line 44002|priority 5000")]
    [InlineData("    \"priority\": 5,,\n", "line 44004|not valid JSON")]
    public void A_large_array_with_a_bad_job_far_down_enqueues_nothing_and_names_its_line(string badField, string fragments)
    {
        using var temp = new TempQueue();
        Cli.Ok(temp, "enqueue", "--id", "existing", "echo existing");
        const int count = 12_000, bad = 11_000; // job i starts on line 2 + 4i
        var json = new System.Text.StringBuilder("[\n");
        for (var i = 0; i < count; i++)
            json.Append("  {\n    \"command\": \"echo ").Append(i).Append("\",\n")
                .Append(i == bad ? badField : "    \"priority\": 1\n")
                .Append(i == count - 1 ? "  }\n" : "  },\n");
        File.WriteAllText(temp.File("jobs.json"), json.Append("]\n").ToString());
        var before = Cli.Snapshot(temp.DatabasePath);

        var result = Cli.Run(temp, "enqueue", "--file", temp.File("jobs.json"));

        Cli.AssertRefused(result, 2, ["jobs.json", .. fragments.Split('|')]);
        Assert.Equal(before, Cli.Snapshot(temp.DatabasePath));
    }

    [Fact]
    public void Garbage_on_stdin_is_refused_naming_standard_input()
    {
        using var temp = new TempQueue();
        Cli.Ok(temp, "enqueue", "--id", "existing", "echo existing");
        var before = Cli.Snapshot(temp.DatabasePath);
        var result = Cli.RunWithInput(temp, "{\"command\":\"echo ok\"}\nnot json at all\n", "enqueue", "-");
        Cli.AssertRefused(result, 2, "standard input", "line 2");
        Assert.Equal(before, Cli.Snapshot(temp.DatabasePath));
    }

    [Fact]
    public void A_file_that_is_not_a_queuectl_database_is_refused_and_left_alone()
    {
        using var temp = new TempQueue();
        var notes = temp.File("notes.txt");
        File.WriteAllText(notes, "shopping: milk, eggs\n");
        var bytes = File.ReadAllBytes(notes);
        foreach (var args in new[] { new[] { "status" }, ["enqueue", "echo hi"], ["list"] })
        {
            var result = CliRunner.Run(null, null, Cli.Generous, ["--db", notes, .. args]);
            Cli.AssertRefused(result, 5, "not a QueueCtl database");
        }
        Assert.Equal(bytes, File.ReadAllBytes(notes));
    }

    [Fact]
    public void Another_applications_sqlite_database_is_refused_and_left_alone()
    {
        using var temp = new TempQueue();
        var other = temp.File("other.db");
        using (var connection = new SqliteConnection($"Data Source={other};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup');";
            command.ExecuteNonQuery();
        }
        var bytes = File.ReadAllBytes(other);
        var result = CliRunner.Run(null, null, Cli.Generous, "--db", other, "enqueue", "echo hi");
        Cli.AssertRefused(result, 5, "not a QueueCtl");
        Assert.Equal(bytes, File.ReadAllBytes(other));
    }

    [Fact]
    public void A_database_from_a_newer_version_is_refused_and_left_alone()
    {
        using var temp = new TempQueue();
        Cli.Ok(temp, "enqueue", "--id", "existing", "echo existing");
        SqliteConnection.ClearAllPools();
        using (var connection = new SqliteConnection($"Data Source={temp.DatabasePath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA user_version = 999;";
            command.ExecuteNonQuery();
        }
        var bytes = File.ReadAllBytes(temp.DatabasePath);
        foreach (var args in new[] { new[] { "list" }, ["enqueue", "echo hi"], ["config", "set", "max_retries", "1"] })
        {
            var result = Cli.Run(temp, args);
            Cli.AssertRefused(result, 5, "newer");
        }
        Assert.Equal(bytes, File.ReadAllBytes(temp.DatabasePath));
    }

    [Fact]
    public void An_unwritable_path_is_refused()
    {
        using var temp = new TempQueue();
        var file = temp.File("a-file");
        File.WriteAllText(file, "x");
        var result = CliRunner.Run(null, null, Cli.Generous, "--db", Path.Combine(file, "sub", "queue.db"), "enqueue", "echo hi");
        Cli.AssertRefused(result, 5, "a-file/sub", "--db");
        Assert.False(Directory.Exists(Path.Combine(file, "sub")));
        Assert.Equal("x", File.ReadAllText(file));
    }

    [Fact]
    public void A_database_locked_past_the_busy_timeout_is_reported_as_busy()
    {
        using var temp = new TempQueue();
        Cli.Ok(temp, "enqueue", "--id", "existing", "echo existing");
        var before = Cli.Snapshot(temp.DatabasePath);
        using (var connection = new SqliteConnection($"Data Source={temp.DatabasePath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "BEGIN EXCLUSIVE;";
            command.ExecuteNonQuery();
            var result = Cli.Run(temp, "enqueue", "--id", "blocked", "echo hi");
            Cli.AssertRefused(result, 6, "busy");
        }
        Assert.Equal(before, Cli.Snapshot(temp.DatabasePath));
    }

    [Fact]
    public void Queue_environment_variable_is_used_when_there_is_no_db_option()
    {
        using var temp = new TempQueue();
        var env = new Dictionary<string, string?> { ["QUEUECTL_DB"] = temp.DatabasePath };
        var result = CliRunner.Run(null, env, Cli.Generous, "enqueue", "--id", "via-env", "echo hi");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(JobState.Pending, Cli.Job(temp, "via-env").State);
        using var queue = JobQueue.Open(temp.DatabasePath);
        Assert.Single(queue.ListJobs());
    }
}
