using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;

namespace QueueCtl.Tests.Core;

/// <summary>DESIGN.md, "Bad input and faults", as Core sees it: a clear refusal, and nothing written.</summary>
public class ValidationTests
{
    private static QueueException Refused(CoreQueue q, JobSpec spec, string errorId)
    {
        var before = q.Count();
        var e = Assert.Throws<QueueException>(() => q.Queue.Enqueue(spec));
        Assert.Equal(QueueErrorKind.InvalidInput, e.Kind);
        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(2, e.ExitCode);
        Assert.Equal(before, q.Count());
        // Validate (the dry run) agrees with Enqueue.
        Assert.Equal(errorId, Assert.Throws<QueueException>(() => q.Queue.Validate(spec)).ErrorId);
        return e;
    }

    public static TheoryData<string, string> BadIds => new()
    {
        { "", "it is empty" },
        { new string('a', 129), "129 characters" },
        { "has space", "contains ' '" },
        { "line\nbreak", "control character U+000A" },
        { "nul\0byte", "control character U+0000" },
        { "esc\u001b[31m", "control character U+001B" },
        { "x'; DROP TABLE jobs;--", "contains '''" },
        { "a\"b", "contains '\"'" },
        { "../etc/passwd", "contains '/'" },
        { "caf\u00e9", "contains '\u00e9'" },
        { "semi;colon", "contains ';'" },
    };

    [Theory]
    [MemberData(nameof(BadIds))]
    public void Bad_ids_are_refused_naming_the_problem(string id, string problem)
    {
        using var q = new CoreQueue();
        var e = Refused(q, new JobSpec { Id = id, Command = "true" }, "InvalidJobId");
        Assert.Contains(problem, e.Message);
        Assert.Equal(id, e.Target);
        // Control characters are shown escaped, never echoed to a terminal.
        Assert.False(e.Message.Any(char.IsControl), e.Message);
    }

    [Fact]
    public void Ids_at_the_limits_are_accepted_and_generated_ids_are_valid_and_sortable()
    {
        using var q = new CoreQueue();
        var longest = new string('Z', 128);
        Assert.Equal(longest, q.Add(longest).Id);
        Assert.Equal("a.b_c:d-E9", q.Add("a.b_c:d-E9").Id);
        var first = q.Queue.Enqueue(new JobSpec { Command = "true" }).Id;
        q.Clock.Advance(TimeSpan.FromMilliseconds(2));
        var second = q.Queue.Enqueue(new JobSpec { Command = "true" }).Id;
        Assert.True(JobId.IsValid(first) && JobId.IsValid(second));
        Assert.Equal(26, first.Length);
        Assert.True(string.CompareOrdinal(first, second) < 0, $"{first} should sort before {second}");
    }

    [Fact]
    public async Task Ids_generated_in_one_millisecond_count_up_in_the_order_they_were_made()
    {
        using var q = new CoreQueue(); // the clock stands still: one batch, one millisecond
        var batch = q.Queue.EnqueueMany(Enumerable.Range(0, 5000).Select(_ => new JobSpec { Command = "true" }).ToList());
        var ids = batch.Added.ToList();
        Assert.Equal(5000, ids.Distinct().Count());
        Assert.All(ids, id => Assert.True(JobId.IsValid(id), id));
        Assert.All(ids, id => Assert.Equal(ids[0][..10], id[..10])); // the same time part
        for (var i = 1; i < ids.Count; i++)
            Assert.True(string.CompareOrdinal(ids[i - 1], ids[i]) < 0, $"id {i} ({ids[i]}) should sort after {ids[i - 1]}");

        // Another thread making ids in the same millisecond collides with none of these.
        var now = q.Clock.UtcNow;
        var elsewhere = await Task.Run(() => Enumerable.Range(0, 1000).Select(_ => JobId.New(now)).ToList());
        Assert.Empty(elsewhere.Intersect(ids));
        Assert.Equal(1000, elsewhere.Distinct().Count());
    }

    [Fact]
    public void Looking_up_bad_ids_finds_nothing_and_harms_nothing()
    {
        using var q = new CoreQueue();
        q.Add("real");
        foreach (var id in new[] { "x'; DROP TABLE jobs;--", "' OR '1'='1", "real%", "re_l", "\0" })
        {
            Assert.Null(q.Queue.FindJob(id));
            var e = Assert.Throws<QueueException>(() => q.Queue.GetJob(id));
            Assert.Equal(QueueErrorKind.NotFound, e.Kind);
            Assert.Equal(QueueErrorKind.NotFound, Assert.Throws<QueueException>(() => q.Queue.GetAttempts(id)).Kind);
        }
        Assert.Empty(q.Queue.ListJobs(new JobFilter { Queues = ["default' OR '1'='1"] }));
        Assert.Equal(0, q.Queue.RemoveJobs(new JobFilter { Ids = ["' OR 1=1 --"] }).Removed);
        Assert.Equal(["real"], q.Queue.ListJobs().Select(j => j.Id).ToArray());
        Assert.Equal(["real"], q.Queue.ListJobIds("re").ToArray());
        Assert.Empty(q.Queue.ListJobIds("%"));
    }

    [Theory]
    [InlineData("", "EmptyCommand")]
    [InlineData("   \t\n ", "EmptyCommand")]
    [InlineData("echo a\0b", "InvalidCommand")]
    public void Empty_and_unrunnable_commands_are_refused(string command, string errorId)
    {
        using var q = new CoreQueue();
        Refused(q, new JobSpec { Id = "j", Command = command }, errorId);
    }

    [Fact]
    public void Huge_commands_are_refused_and_the_longest_allowed_is_kept_whole()
    {
        using var q = new CoreQueue();
        var e = Refused(q, new JobSpec { Id = "big", Command = "echo " + new string('x', JobLimits.MaxCommandLength) }, "CommandTooLong");
        Assert.Contains("100,000", e.Message);
        var longest = "echo " + new string('y', JobLimits.MaxCommandLength - 5);
        Assert.Equal(longest, q.Queue.Enqueue(new JobSpec { Id = "ok", Command = longest }).Command);
    }

    [Theory]
    [InlineData("echo 'unclosed", "single quote")]
    [InlineData("echo \"unclosed", "double quote")]
    public void Shell_none_commands_that_cannot_be_split_are_refused(string command, string problem)
    {
        using var q = new CoreQueue();
        var e = Refused(q, new JobSpec { Id = "j", Command = command, Shell = JobShell.None }, "InvalidCommand");
        Assert.Contains(problem, e.Message);
        q.Queue.Enqueue(new JobSpec { Id = "sh", Command = command }); // a shell reports its own syntax errors when run
    }

    [Theory]
    [InlineData(1001)]
    [InlineData(-1001)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void Absurd_priorities_are_refused(int priority)
    {
        using var q = new CoreQueue();
        var e = Refused(q, new JobSpec { Id = "j", Command = "true", Priority = priority }, "InvalidPriority");
        Assert.Contains(priority.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
        Assert.Contains("-1000 and 1000", e.Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1001)]
    [InlineData(int.MinValue)]
    public void Absurd_max_retries_are_refused(int maxRetries)
    {
        using var q = new CoreQueue();
        var e = Refused(q, new JobSpec { Id = "j", Command = "true", MaxRetries = maxRetries }, "InvalidMaxRetries");
        Assert.Contains("between 0 and 1000", e.Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(604_801)]
    [InlineData(int.MaxValue)]
    public void Absurd_timeouts_are_refused(int timeout)
    {
        using var q = new CoreQueue();
        Refused(q, new JobSpec { Id = "j", Command = "true", TimeoutSec = timeout }, "InvalidTimeout");
    }

    [Fact]
    public void Numbers_at_their_limits_are_accepted()
    {
        using var q = new CoreQueue();
        q.Queue.Enqueue(new JobSpec { Id = "max", Command = "true", Priority = 1000, MaxRetries = 1000, TimeoutSec = 604_800 });
        q.Queue.Enqueue(new JobSpec { Id = "min", Command = "true", Priority = -1000, MaxRetries = 0, TimeoutSec = 0 });
        var max = q.Queue.GetJob("max");
        Assert.Equal((1000, 1000, 604_800), (max.Priority, max.MaxRetries, max.TimeoutSec));
    }

    public static TheoryData<string, string> BadQueues => new()
    {
        { "", "it is empty" },
        { new string('q', 65), "65 characters" },
        { "has space", "characters other than" },
        { "q;DROP TABLE jobs", "characters other than" },
        { "tab\tq", "characters other than" },
        { "\u00fcber", "characters other than" },
    };

    [Theory]
    [MemberData(nameof(BadQueues))]
    public void Bad_queue_names_are_refused(string queue, string problem)
    {
        using var q = new CoreQueue();
        var e = Refused(q, new JobSpec { Id = "j", Command = "true", Queue = queue }, "InvalidQueueName");
        Assert.Contains(problem, e.Message);
        Assert.Equal("InvalidQueueName", Assert.Throws<QueueException>(() => q.Queue.RestoreAllDeadJobs(queue)).ErrorId);
    }

    [Fact]
    public void Absurd_times_are_refused()
    {
        using var q = new CoreQueue();
        Refused(q, new JobSpec { Id = "j", Command = "true", RunAt = new DateTimeOffset(1999, 12, 31, 23, 59, 59, TimeSpan.Zero) }, "InvalidRunAt");
        Refused(q, new JobSpec { Id = "j", Command = "true", RunAt = DateTimeOffset.MinValue }, "InvalidRunAt");
        Refused(q, new JobSpec { Id = "j", Command = "true", RunAt = DateTimeOffset.MaxValue }, "InvalidRunAt");
        Refused(q, new JobSpec { Id = "j", Command = "true", RunAt = CoreQueue.Start.AddYears(11) }, "InvalidRunAt");
        Refused(q, new JobSpec { Id = "j", Command = "true", Delay = TimeSpan.FromSeconds(-1) }, "InvalidDelay");
        Refused(q, new JobSpec { Id = "j", Command = "true", Delay = TimeSpan.MaxValue }, "InvalidDelay");
        Refused(q, new JobSpec { Id = "j", Command = "true", Delay = TimeSpan.MinValue }, "InvalidDelay");
        var both = Refused(q, new JobSpec { Id = "j", Command = "true", RunAt = CoreQueue.Start, Delay = TimeSpan.FromSeconds(1) }, "RunAtAndDelay");
        Assert.Contains("give one of them", both.Message);
    }

    [Fact]
    public void Bad_working_directories_and_environments_are_refused()
    {
        using var q = new CoreQueue();
        Refused(q, new JobSpec { Id = "j", Command = "true", WorkingDirectory = "relative/path" }, "InvalidWorkingDirectory");
        Refused(q, new JobSpec { Id = "j", Command = "true", WorkingDirectory = "" }, "InvalidWorkingDirectory");
        Refused(q, new JobSpec { Id = "j", Command = "true", WorkingDirectory = "/tmp/a\0b" }, "InvalidWorkingDirectory");
        Refused(q, new JobSpec { Id = "j", Command = "true", Environment = new Dictionary<string, string> { ["A=B"] = "x" } }, "InvalidEnvironment");
        Refused(q, new JobSpec { Id = "j", Command = "true", Environment = new Dictionary<string, string> { [""] = "x" } }, "InvalidEnvironment");
        Refused(q, new JobSpec { Id = "j", Command = "true", Environment = new Dictionary<string, string> { ["A"] = "x\0y" } }, "InvalidEnvironment");
        Refused(q, new JobSpec { Id = "j", Command = "true", Environment = Enumerable.Range(0, 1001).ToDictionary(i => $"V{i}", _ => "x") }, "InvalidEnvironment");
    }

    [Fact]
    public void A_duplicate_id_refuses_the_whole_request()
    {
        using var q = new CoreQueue();
        q.Add("taken", "echo original");
        var e = Assert.Throws<QueueException>(() => q.Queue.EnqueueMany([
            new JobSpec { Id = "fresh1", Command = "true" },
            new JobSpec { Id = "taken", Command = "echo replacement" },
            new JobSpec { Id = "fresh2", Command = "true" }]));
        Assert.Equal(QueueErrorKind.Conflict, e.Kind);
        Assert.Equal("DuplicateJobId", e.ErrorId);
        Assert.Equal(4, e.ExitCode);
        Assert.Contains("'taken'", e.Message);
        Assert.Contains("nothing was enqueued", e.Message);
        Assert.Equal(1, q.Count());
        Assert.Equal("echo original", q.Queue.GetJob("taken").Command);
    }

    [Fact]
    public void Enqueue_returns_the_job_exactly_as_stored_or_the_one_already_there()
    {
        using var q = new CoreQueue();
        var spec = new JobSpec
        {
            Id = "full", Command = "echo full", Shell = JobShell.None, Queue = "q1", Priority = 7, TimeoutSec = 40,
            Delay = TimeSpan.FromSeconds(9), WorkingDirectory = "/srv", Environment = new Dictionary<string, string> { ["A"] = "1" },
        };
        var returned = q.Queue.Enqueue(spec);
        var stored = q.Queue.GetJob("full");
        foreach (var property in typeof(QueueJob).GetProperties())
        {
            var (a, b) = (property.GetValue(returned), property.GetValue(stored));
            if (a is IEnumerable<KeyValuePair<string, string>> pairs) Assert.Equal(pairs.OrderBy(p => p.Key), ((IEnumerable<KeyValuePair<string, string>>)b!).OrderBy(p => p.Key));
            else Assert.True(Equals(a, b), $"{property.Name}: returned {a}, stored {b}");
        }
        Assert.Equal(q.Store.GetConfig().MaxRetries, returned.MaxRetries); // unset: the configured default
        Assert.Equal(JobState.Pending, returned.State);

        var again = q.Queue.Enqueue(new JobSpec { Id = "full", Command = "echo other" }, DuplicatePolicy.Skip);
        Assert.Equal("echo full", again.Command);
        Assert.Equal(returned.CreatedAt, again.CreatedAt);
        Assert.Equal(1, q.Count());
    }

    [Fact]
    public void A_duplicate_inside_one_batch_is_refused_too()
    {
        using var q = new CoreQueue();
        var e = Assert.Throws<QueueException>(() => q.Queue.EnqueueMany([
            new JobSpec { Id = "twin", Command = "true" },
            new JobSpec { Id = "twin", Command = "false" }]));
        Assert.Equal("DuplicateJobId", e.ErrorId);
        Assert.Equal(0, q.Count());
    }

    [Fact]
    public void Skip_leaves_existing_jobs_alone_and_adds_the_rest()
    {
        using var q = new CoreQueue();
        q.Add("taken", "echo original");
        var result = q.Queue.EnqueueMany([
            new JobSpec { Id = "new1", Command = "true" },
            new JobSpec { Id = "taken", Command = "echo replacement" },
            new JobSpec { Id = "new1", Command = "echo again" }], DuplicatePolicy.Skip);
        Assert.Equal(["new1"], result.Added.ToArray());
        Assert.Equal(["taken", "new1"], result.Skipped.ToArray());
        Assert.Equal("echo original", q.Queue.GetJob("taken").Command);
        Assert.Equal("true", q.Queue.GetJob("new1").Command);
        Assert.Equal("echo original", q.Queue.Enqueue(new JobSpec { Id = "taken", Command = "x" }, DuplicatePolicy.Skip).Command);
        Assert.Equal(2, q.Count());
    }

    [Fact]
    public void Enqueue_many_writes_nothing_when_one_item_is_bad()
    {
        using var q = new CoreQueue();
        q.Add("existing");
        var specs = Enumerable.Range(0, 500).Select(i => new JobSpec { Id = $"ok{i}", Command = "true" }).ToList();
        specs.Insert(250, new JobSpec { Id = "bad", Command = "true", Priority = 5000 });
        var e = Assert.Throws<QueueException>(() => q.Queue.EnqueueMany(specs));
        Assert.Equal("InvalidPriority", e.ErrorId);
        Assert.Contains("'bad'", e.Message);
        Assert.Equal(1, q.Count());

        specs.RemoveAt(250);
        Assert.Equal(500, q.Queue.EnqueueMany(specs).Added.Count);
        Assert.Equal(501, q.Count());
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("")]
    [InlineData("max_retries; DROP TABLE config")]
    public void Unknown_config_keys_are_refused_listing_the_known_ones(string key)
    {
        using var q = new CoreQueue();
        var before = q.Queue.GetConfigEntries().Select(x => x.ToString()).ToArray();
        var e = Assert.Throws<QueueException>(() => q.Queue.SetConfig(key, "1"));
        Assert.Equal(QueueErrorKind.InvalidInput, e.Kind);
        Assert.Equal("UnknownConfigKey", e.ErrorId);
        Assert.Contains("max_retries, backoff_base", e.Message);
        Assert.Equal("UnknownConfigKey", Assert.Throws<QueueException>(() => q.Queue.GetConfigEntry(key)).ErrorId);
        Assert.Equal(before, q.Queue.GetConfigEntries().Select(x => x.ToString()).ToArray());
        Assert.Equal(0, q.Count("config"));
    }

    [Theory]
    [InlineData("max_retries", "-1", "0..1000")]
    [InlineData("max_retries", "1001", "0..1000")]
    [InlineData("max_retries", "2.5", "whole number")]
    [InlineData("max_retries", "abc", "0..1000")]
    [InlineData("max_retries", "", "0..1000")]
    [InlineData("max_retries", "NaN", "0..1000")]
    [InlineData("backoff_base", "0.5", "1..1000")]
    [InlineData("backoff_base", "Infinity", "1..1000")]
    [InlineData("backoff_max", "-5", "0..31536000 seconds")]
    [InlineData("backoff_jitter", "1.5", "0..1")]
    [InlineData("job_timeout", "604801", "0..604800 seconds")]
    [InlineData("lease_seconds", "0", "1..3600 seconds")]
    [InlineData("shutdown_grace", "1e9", "0..3600 seconds")]
    [InlineData("output_limit", "99999999999", "0..16777216 bytes")]
    public void Out_of_range_config_values_are_refused_naming_key_and_range(string key, string value, string range)
    {
        using var q = new CoreQueue();
        var before = q.Queue.GetConfig();
        var e = Assert.Throws<QueueException>(() => q.Queue.SetConfig(key, value));
        Assert.Equal(QueueErrorKind.InvalidInput, e.Kind);
        Assert.Equal("InvalidConfigValue", e.ErrorId);
        Assert.Contains(key, e.Message);
        Assert.Contains(range, e.Message);
        Assert.Equal(before, q.Queue.GetConfig());
        Assert.Equal(0, q.Count("config"));
    }

    [Fact]
    public void Config_accepts_every_spelling_and_keeps_values_in_range()
    {
        using var q = new CoreQueue();
        Assert.Equal("5", q.Queue.SetConfig("max-retries", "5").Value);
        Assert.Equal("3", q.Queue.SetConfig("base_backoff", " 3 ").Value);
        Assert.Equal("0.5", q.Queue.SetConfig("BACKOFF_JITTER", "0.5").Value);
        var config = q.Queue.GetConfig();
        Assert.Equal((5, 3.0, 0.5), (config.MaxRetries, config.BackoffBase, config.BackoffJitter));
        Assert.False(q.Queue.GetConfigEntry("max_retries").IsDefault);
        Assert.True(q.Queue.GetConfigEntry("lease_seconds").IsDefault);
    }

    [Fact]
    public void A_config_value_written_out_of_range_by_hand_is_ignored()
    {
        using var q = new CoreQueue();
        q.Scalar("INSERT INTO config (key, value) VALUES ('max_retries', '-7'), ('lease_seconds', 'lots')");
        var config = q.Queue.GetConfig();
        Assert.Equal(3, config.MaxRetries);
        Assert.Equal(30, config.LeaseSeconds);
    }
}
