using System.Text.Json;
using QueueCtl.Core.Jobs;
using QueueCtl.Tests.Support;

namespace QueueCtl.Tests.Cli;

/// <summary>status, list, show, logs, dlq and config: tables, --json shapes and classic spellings.</summary>
public class QueryCommandTests
{
    /// <summary>A queue with one completed job, one dead job (after 2 attempts) and one pending job in another queue.</summary>
    private static TempQueue Populated()
    {
        var temp = new TempQueue();
        Cli.Ok(temp, "config", "set", "backoff_base", "1");
        Cli.Ok(temp, "enqueue", """{"id":"good","command":"echo good output"}""");
        Cli.Ok(temp, "enqueue", """{"id":"bad","command":"echo bad output >&2; exit 7","max_retries":1}""");
        Cli.Ok(temp, "enqueue", "--id", "later", "--queue", "other", "--delay", "1h", "--priority", "4", "echo later");
        // --once exits when nothing is due; the retry of "bad" is due a second later, so run until it is dead.
        for (var i = 0; i < 30 && Cli.Job(temp, "bad").State != JobState.Dead; i++)
        {
            Cli.Ok(temp, "worker", "run", "--once");
            if (Cli.Job(temp, "bad").State != JobState.Dead) Thread.Sleep(500);
        }
        Assert.Equal(JobState.Dead, Cli.Job(temp, "bad").State);
        return temp;
    }

    [Fact]
    public void Status_counts_states_queues_and_durations()
    {
        using var temp = Populated();
        var text = Cli.Ok(temp, "status").StdOut;
        Assert.Contains("3 total", text);
        Assert.Contains("1 completed", text);
        Assert.Contains("1 dead", text);
        Assert.Contains("other", text);
        var json = Cli.Json(Cli.Ok(temp, "status", "--json"));
        Assert.Equal(3, json.GetProperty("total").GetInt64());
        Assert.Equal(1, json.GetProperty("pending").GetInt64());
        Assert.Equal(1, json.GetProperty("scheduled").GetInt64());
        Assert.Equal(1, json.GetProperty("completed").GetInt64());
        Assert.Equal(1, json.GetProperty("dead").GetInt64());
        Assert.Equal(0, json.GetProperty("workers").GetInt32());
        Assert.True(json.GetProperty("averageDurationSec").GetDouble() > 0);
        Assert.True(json.GetProperty("p95DurationSec").GetDouble() > 0);
        Assert.True(json.TryGetProperty("throughputPerSec", out _));
        Assert.Equal(temp.DatabasePath, json.GetProperty("database").GetString());
        var queues = json.GetProperty("queues").EnumerateArray().ToDictionary(q => q.GetProperty("queue").GetString()!);
        Assert.Equal(2, queues["default"].GetProperty("total").GetInt64());
        Assert.Equal(1, queues["other"].GetProperty("scheduled").GetInt64());
    }

    [Fact]
    public void List_filters_by_state_queue_and_limit()
    {
        using var temp = Populated();
        var all = Cli.Ok(temp, "list").StdOut;
        Assert.Contains("ID", all);
        Assert.Contains("good", all);
        Assert.Contains("later", all);
        var dead = Cli.Json(Cli.Ok(temp, "list", "--state", "dead", "--json"));
        Assert.Equal("bad", Assert.Single(dead.EnumerateArray()).GetProperty("id").GetString());
        var other = Cli.Json(Cli.Ok(temp, "list", "--queue", "other", "--json"));
        Assert.Equal("later", Assert.Single(other.EnumerateArray()).GetProperty("id").GetString());
        var two = Cli.Json(Cli.Ok(temp, "list", "--state", "completed", "--state", "DEAD", "--json"));
        Assert.Equal(["good", "bad"], two.EnumerateArray().Select(j => j.GetProperty("id").GetString()));
        var limited = Cli.Json(Cli.Ok(temp, "list", "--limit", "1", "--json"));
        Assert.Equal("good", Assert.Single(limited.EnumerateArray()).GetProperty("id").GetString());
        Assert.Contains("No jobs match", Cli.Ok(temp, "list", "--state", "processing").StdOut);
    }

    [Fact]
    public void Job_json_shape_is_camel_case_with_utc_times_and_lowercase_states()
    {
        using var temp = Populated();
        var job = Assert.Single(Cli.Json(Cli.Ok(temp, "list", "--state", "pending", "--json")).EnumerateArray());
        string[] expected = ["id", "command", "shell", "queue", "priority", "state", "attempts", "maxRetries", "timeoutSec", "runAt", "nextRunAt",
            "workingDirectory", "environment", "exitCode", "lastError", "createdAt", "updatedAt", "startedAt", "finishedAt", "durationSec",
            "workerId", "leaseExpiresAt"];
        Assert.Equal(expected, job.EnumerateObject().Select(p => p.Name));
        Assert.Equal("pending", job.GetProperty("state").GetString());
        Assert.Equal("sh", job.GetProperty("shell").GetString());
        Assert.Equal(4, job.GetProperty("priority").GetInt32());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", job.GetProperty("runAt").GetString());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("startedAt").ValueKind);
    }

    [Fact]
    public void Show_prints_every_field_and_the_attempt_history()
    {
        using var temp = Populated();
        var text = Cli.Ok(temp, "show", "bad").StdOut;
        foreach (var field in new[] { "id", "command", "state", "attempts", "max_retries", "exit_code", "last_error", "created_at", "finished_at", "worker_id" })
            Assert.Contains(field, text);
        Assert.Contains("dead", text);
        Assert.Contains("OUTCOME", text);
        var json = Cli.Json(Cli.Ok(temp, "show", "bad", "--json"));
        Assert.Equal("dead", json.GetProperty("state").GetString());
        Assert.Equal(7, json.GetProperty("exitCode").GetInt32());
        Assert.Contains("bad output", json.GetProperty("output").GetString());
        var attempts = json.GetProperty("attemptHistory").EnumerateArray().ToList();
        Assert.Equal(2, attempts.Count);
        Assert.Equal([1, 2], attempts.Select(a => a.GetProperty("number").GetInt32()));
        Assert.All(attempts, a => Assert.Equal("failed", a.GetProperty("outcome").GetString()));
        Assert.All(attempts, a => Assert.Equal(7, a.GetProperty("exitCode").GetInt32()));
    }

    [Fact]
    public void Logs_prints_the_captured_output()
    {
        using var temp = Populated();
        Assert.Equal("good output\n", Cli.Ok(temp, "logs", "good").StdOut);
        Assert.Equal("bad output\n", Cli.Ok(temp, "logs", "bad").StdOut);
        var json = Cli.Json(Cli.Ok(temp, "logs", "good", "--json"));
        Assert.Equal("good output\n", json.GetProperty("output").GetString());
        Assert.Equal("completed", json.GetProperty("state").GetString());
        var notRun = Cli.Ok(temp, "logs", "later");
        Assert.Equal("", notRun.StdOut);
        Assert.Contains("not run yet", notRun.StdErr);
    }

    [Fact]
    public void Dlq_list_and_retry_one_job()
    {
        using var temp = Populated();
        var list = Cli.Ok(temp, "dlq", "list").StdOut;
        Assert.Contains("bad", list);
        Assert.Contains("exit code 7", list);
        Assert.DoesNotContain("good", list);
        var json = Cli.Json(Cli.Ok(temp, "dlq", "list", "--json"));
        Assert.Equal("bad", Assert.Single(json.EnumerateArray()).GetProperty("id").GetString());

        var retried = Cli.Json(Cli.Ok(temp, "dlq", "retry", "bad", "--json"));
        Assert.Equal(1, retried.GetProperty("restored").GetInt32());
        var job = Cli.Job(temp, "bad");
        Assert.Equal(JobState.Pending, job.State);
        Assert.Equal(0, job.Attempts);
        Assert.Contains("empty", Cli.Ok(temp, "dlq", "list").StdOut);
    }

    [Fact]
    public void Dlq_retry_all_restores_every_dead_job()
    {
        using var temp = Populated();
        var result = Cli.Ok(temp, "dlq", "retry", "--all");
        Assert.Contains("restored 1 job", result.StdOut);
        Assert.Equal(JobState.Pending, Cli.Job(temp, "bad").State);
        Assert.Contains("nothing to retry", Cli.Ok(temp, "dlq", "retry", "--all").StdOut);
    }

    [Fact]
    public void Config_get_set_show_with_every_spelling()
    {
        using var temp = new TempQueue();
        Assert.Equal("3", Cli.Ok(temp, "config", "get", "max_retries").StdOut.Trim());
        Assert.Contains("max_retries = 5 (was 3)", Cli.Ok(temp, "config", "set", "max-retries", "5").StdOut);
        Assert.Equal("5", Cli.Ok(temp, "config", "get", "max-retries").StdOut.Trim());
        // The classic spellings: base_backoff for backoff_base, and config --key/--value.
        Cli.Ok(temp, "config", "set", "base_backoff", "1.5");
        Assert.Equal("1.5", Cli.Ok(temp, "config", "get", "backoff_base").StdOut.Trim());
        Cli.Ok(temp, "config", "--key", "max_retries", "--value", "7");
        Assert.Equal("7", Cli.Ok(temp, "config", "--key", "max_retries").StdOut.Trim());

        var show = Cli.Ok(temp, "config", "show").StdOut;
        foreach (var key in new[] { "max_retries", "backoff_base", "backoff_max", "backoff_jitter", "job_timeout", "lease_seconds", "shutdown_grace", "output_limit" })
            Assert.Contains(key, show);
        Assert.Equal(show, Cli.Ok(temp, "config").StdOut);
        Assert.Equal(show, Cli.Ok(temp, "config", "get").StdOut);

        var entries = Cli.Json(Cli.Ok(temp, "config", "show", "--json")).EnumerateArray().ToDictionary(e => e.GetProperty("key").GetString()!);
        Assert.Equal(7, entries["max_retries"].GetProperty("value").GetDouble());
        Assert.Equal(3, entries["max_retries"].GetProperty("default").GetDouble());
        Assert.False(entries["max_retries"].GetProperty("isDefault").GetBoolean());
        Assert.Equal(1.5, entries["backoff_base"].GetProperty("value").GetDouble());
        var one = Cli.Json(Cli.Ok(temp, "config", "get", "lease_seconds", "--json"));
        Assert.Equal("lease_seconds", one.GetProperty("key").GetString());
        Assert.Equal("1..3600 seconds", one.GetProperty("range").GetString());
        var set = Cli.Json(Cli.Ok(temp, "config", "set", "job_timeout", "60", "--json"));
        Assert.Equal(60, set.GetProperty("value").GetDouble());
    }

    [Fact]
    public void Help_and_version_exit_zero()
    {
        var help = CliRunner.Run(null, "--help");
        Assert.True(help.ExitCode == 0, help.ToString());
        foreach (var verb in new[] { "enqueue", "worker", "status", "list", "show", "logs", "dlq", "config", "demo", "start", "stop" })
            Assert.Contains(verb, help.StdOut);
        var enqueueHelp = CliRunner.Run(null, "enqueue", "--help");
        Assert.Contains("--skip-existing", enqueueHelp.StdOut);
        Assert.Equal(0, CliRunner.Run(null, "--version").ExitCode);
    }
}
