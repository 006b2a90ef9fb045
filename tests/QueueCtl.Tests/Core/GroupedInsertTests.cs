using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Storage;

namespace QueueCtl.Tests.Core;

/// <summary>
/// Batches of <see cref="SqliteQueueStore.InsertGroup"/> jobs or more are written several to an
/// INSERT. Every job must still be stored as given, in the order given, and a taken or repeated
/// id must be found wherever it falls: in a whole group or in the jobs left over after the groups.
/// </summary>
public class GroupedInsertTests
{
    private const int Group = SqliteQueueStore.InsertGroup;

    /// <summary>Job i of a batch, with every field set to something that differs from its neighbours' (or left unset).</summary>
    private static JobSpec Spec(int i) => new()
    {
        Id = $"job-{i:D3}",
        Command = $"echo {i} 'ünïcode ✓'",
        Shell = (i % 3) switch { 0 => null, 1 => JobShell.Pwsh, _ => JobShell.None },
        Queue = i % 4 == 0 ? null : $"q{i % 4}",
        Priority = i % 5 - 2,
        MaxRetries = i % 2 == 0 ? null : i % 7,
        TimeoutSec = i % 3 == 0 ? null : 10 + i,
        RunAt = i % 5 == 1 ? CoreQueue.Start.AddMinutes(i) : null,
        Delay = i % 5 == 2 ? TimeSpan.FromSeconds(i) : null,
        WorkingDirectory = i % 2 == 0 ? null : $"/srv/work{i}",
        Environment = i % 3 == 2 ? new Dictionary<string, string> { ["N"] = $"{i}", ["EMPTY"] = "" } : null,
    };

    private static string StoredOrder(CoreQueue q) =>
        (string)q.Scalar("SELECT group_concat(id, ',') FROM (SELECT id FROM jobs ORDER BY seq)")!;

    [Theory]
    [InlineData(Group - 1)]
    [InlineData(Group)]
    [InlineData(Group + 1)]
    [InlineData(2 * Group - 1)]
    [InlineData(2 * Group)]
    [InlineData(3 * Group + 5)]
    public void Every_job_of_a_batch_is_stored_as_given_and_in_order(int count)
    {
        using var q = new CoreQueue();
        var specs = Enumerable.Range(0, count).Select(Spec).ToList();

        var result = q.Queue.EnqueueMany(specs);

        Assert.Equal(specs.Select(s => s.Id!), result.Added);
        Assert.Empty(result.Skipped);
        Assert.Equal(string.Join(",", specs.Select(s => s.Id)), StoredOrder(q));
        var config = q.Store.GetConfig();
        foreach (var spec in specs)
        {
            var job = q.Queue.GetJob(spec.Id!);
            Assert.Equal(spec.Command, job.Command);
            Assert.Equal(spec.Shell ?? JobShell.Sh, job.Shell);
            Assert.Equal(spec.Queue ?? "default", job.Queue);
            Assert.Equal(spec.Priority, job.Priority);
            Assert.Equal(spec.MaxRetries ?? config.MaxRetries, job.MaxRetries);
            Assert.Equal(spec.TimeoutSec ?? config.JobTimeout, job.TimeoutSec);
            var runAt = spec.RunAt ?? CoreQueue.Start + (spec.Delay ?? TimeSpan.Zero);
            Assert.Equal(runAt, job.RunAt);
            Assert.Equal(runAt, job.NextRunAt);
            Assert.Equal(spec.WorkingDirectory, job.WorkingDirectory);
            Assert.Equal((spec.Environment ?? new Dictionary<string, string>()).OrderBy(v => v.Key), job.Environment.OrderBy(v => v.Key));
            Assert.Equal(JobState.Pending, job.State);
            Assert.Equal(0, job.Attempts);
            Assert.Equal(CoreQueue.Start, job.CreatedAt);
        }
        // Only a job given a run-at time keeps it when the wall clock jumps (schema 2).
        Assert.Equal(specs.Count(s => s.RunAt is not null), Convert.ToInt32(q.Scalar("SELECT count(*) FROM jobs WHERE run_at_fixed = 1")));
    }

    /// <summary>Where the taken id falls: the first group, a later group's last row, the jobs after the groups.</summary>
    public static TheoryData<int> TakenAt => new() { 0, 2 * Group - 1, 2 * Group + 2 };

    [Theory]
    [MemberData(nameof(TakenAt))]
    public void A_taken_id_anywhere_in_a_batch_refuses_all_of_it_and_is_named(int at)
    {
        using var q = new CoreQueue();
        q.Add("taken", "echo original");
        var specs = Enumerable.Range(0, 2 * Group + 4).Select(Spec).ToList();
        specs[at] = new JobSpec { Id = "taken", Command = "echo replacement" };

        var e = Assert.Throws<QueueException>(() => q.Queue.EnqueueMany(specs));

        Assert.Equal("DuplicateJobId", e.ErrorId);
        Assert.Equal(QueueErrorKind.Conflict, e.Kind);
        Assert.Contains("'taken'", e.Message);
        Assert.Equal(1, q.Count());
        Assert.Equal("echo original", q.Queue.GetJob("taken").Command);
    }

    [Fact]
    public void An_id_repeated_inside_a_grouped_batch_is_refused()
    {
        using var q = new CoreQueue();
        var specs = Enumerable.Range(0, 2 * Group).Select(Spec).ToList();
        specs[Group + 3] = new JobSpec { Id = specs[2].Id, Command = "echo twin" };

        var e = Assert.Throws<QueueException>(() => q.Queue.EnqueueMany(specs));

        Assert.Equal("DuplicateJobId", e.ErrorId);
        Assert.Contains($"'{specs[2].Id}'", e.Message);
        Assert.Equal(0, q.Count());
    }

    [Fact]
    public void Skip_in_a_grouped_batch_reports_exactly_what_was_added_and_skipped()
    {
        using var q = new CoreQueue();
        var specs = Enumerable.Range(0, 3 * Group + 3).Select(Spec).ToList();
        q.Add(specs[5].Id!, "echo original 5");
        q.Add(specs[3 * Group + 1].Id!, "echo original tail");
        specs[2 * Group] = new JobSpec { Id = specs[Group].Id, Command = "echo repeat" };

        var result = q.Queue.EnqueueMany(specs, DuplicatePolicy.Skip);

        var skippedAt = new[] { 5, 2 * Group, 3 * Group + 1 };
        Assert.Equal(skippedAt.Select(i => specs[i].Id!), result.Skipped);
        Assert.Equal(specs.Where((_, i) => !skippedAt.Contains(i)).Select(s => s.Id!), result.Added);
        Assert.Equal("echo original 5", q.Queue.GetJob(specs[5].Id!).Command);
        Assert.Equal(Spec(Group).Command, q.Queue.GetJob(specs[Group].Id!).Command);
        Assert.Equal(specs.Count - 1, q.Count()); // the two taken ids were there already; the repeat adds nothing
        // The skipped jobs leave no gap in the order of those added.
        var expected = new[] { specs[5].Id, specs[3 * Group + 1].Id }.Concat(result.Added);
        Assert.Equal(string.Join(",", expected), StoredOrder(q));
    }

    [Fact]
    public void A_grouped_batch_that_ends_in_a_duplicate_leaves_the_store_ready_for_the_next()
    {
        using var q = new CoreQueue();
        q.Add("taken");
        var specs = Enumerable.Range(0, 2 * Group).Select(Spec).ToList();
        specs[^1] = new JobSpec { Id = "taken", Command = "true" };
        Assert.Throws<QueueException>(() => q.Queue.EnqueueMany(specs));

        // The same connection then writes a grouped batch and a single job as usual.
        Assert.Equal(2 * Group - 1, q.Queue.EnqueueMany(specs.Take(2 * Group - 1)).Added.Count);
        q.Add("after");
        Assert.Equal(2 * Group + 1, q.Count());
    }
}
