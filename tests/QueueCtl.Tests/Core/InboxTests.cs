using QueueCtl.Core;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Storage;

namespace QueueCtl.Tests.Core;

/// <summary>
/// A job enqueued on its own with an id made by Core waits in the inbox table (schema 8) until
/// another transaction moves it into jobs. Nobody may see the difference: every read and every
/// write of the queue must find it, in its place in the enqueue order, and a failed write must
/// leave it waiting rather than lose it.
/// </summary>
public class InboxTests
{
    private static JobSpec Plain(string command = "true") => new() { Command = command };

    private static long Waiting(CoreQueue q) => q.Count("jobs_inbox");

    [Fact]
    public void A_job_with_a_made_id_waits_in_the_inbox_and_reads_back_as_it_was_returned()
    {
        using var q = new CoreQueue();
        var spec = new JobSpec
        {
            Command = "echo 'ünïcode ✓'", Shell = JobShell.Pwsh, Queue = "mail", Priority = -3, MaxRetries = 7,
            Delay = TimeSpan.FromMinutes(2), WorkingDirectory = "/srv/work",
            Environment = new Dictionary<string, string> { ["A"] = "1", ["EMPTY"] = "" },
        };

        var returned = q.Queue.Enqueue(spec);

        Assert.Equal(1, Waiting(q));
        Assert.Equal(0, q.Count());
        var read = q.Queue.GetJob(returned.Id);
        Assert.Equal(0, Waiting(q)); // the read moved it
        Assert.Equal(1, q.Count());
        foreach (var property in typeof(QueueJob).GetProperties())
        {
            var (expected, actual) = (property.GetValue(returned), property.GetValue(read));
            if (expected is IReadOnlyDictionary<string, string> environment)
                Assert.Equal(environment.OrderBy(e => e.Key), ((IReadOnlyDictionary<string, string>)actual!).OrderBy(e => e.Key));
            else
                Assert.True(Equals(expected, actual), $"{property.Name}: returned {expected}, read back {actual}");
        }
        Assert.Equal(JobState.Pending, read.State);
        Assert.Equal(CoreQueue.Start.AddMinutes(2), read.NextRunAt);
        Assert.Equal(q.Store.GetConfig().JobTimeout, read.TimeoutSec);
    }

    [Fact]
    public void A_given_id_never_waits_in_the_inbox()
    {
        using var q = new CoreQueue();
        q.Queue.Enqueue(Plain());

        q.Add("given");

        Assert.Equal(0, Waiting(q)); // moved first, so that the given id was checked against every job
        Assert.Equal(2, q.Count());
    }

    [Fact]
    public void Enqueue_order_holds_across_the_inbox_batches_and_given_ids()
    {
        using var q = new CoreQueue();
        var order = new List<string>
        {
            q.Queue.Enqueue(Plain("1")).Id,
            q.Queue.Enqueue(Plain("2")).Id,
        };
        order.AddRange(q.Queue.EnqueueMany([Plain("3"), Plain("4")]).Added);
        order.Add(q.Queue.Enqueue(Plain("5")).Id);
        order.Add(q.Add("given-6", "6").Id);
        order.Add(q.Queue.Enqueue(Plain("7")).Id);
        order.Add(q.Queue.Enqueue(Plain("8")).Id);
        Assert.Equal(2, Waiting(q));

        Assert.Equal(order, q.Queue.ListJobs().Select(j => j.Id));
        var claimed = q.Store.Claim("w1", [], 100, q.Store.GetConfig());
        Assert.Equal(order, claimed.Select(j => j.Id));
    }

    [Fact]
    public void Priority_still_wins_over_enqueue_order_for_waiting_jobs()
    {
        using var q = new CoreQueue();
        var low = q.Queue.Enqueue(new JobSpec { Command = "low", Priority = -1 }).Id;
        var high = q.Queue.Enqueue(new JobSpec { Command = "high", Priority = 5 }).Id;
        var normal = q.Queue.Enqueue(Plain("normal")).Id;

        var claimed = q.Store.Claim("w1", [], 10, q.Store.GetConfig());

        Assert.Equal([high, normal, low], claimed.Select(j => j.Id));
    }

    public static TheoryData<string> Operations => new()
    {
        "claim through another connection", "status", "list pending", "list queues", "id completion", "remove", "stop",
        "wait for it",
    };

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Every_read_and_write_finds_a_waiting_job(string operation)
    {
        using var q = new CoreQueue();
        var id = q.Queue.Enqueue(new JobSpec { Command = "true", Queue = "inboxed" }).Id;
        Assert.Equal(1, Waiting(q));

        switch (operation)
        {
            case "claim through another connection":
                Assert.Equal(id, q.ClaimOne()!.Id);
                break;
            case "status":
                Assert.Equal(1, q.Queue.GetStatus().Pending);
                break;
            case "list pending":
                Assert.Equal([id], q.Queue.ListJobs(new JobFilter { States = [JobState.Pending] }).Select(j => j.Id));
                break;
            case "list queues":
                Assert.Contains("inboxed", q.Queue.ListQueues());
                break;
            case "id completion":
                Assert.Equal([id], q.Queue.ListJobIds(id[..8]));
                break;
            case "remove":
                Assert.Equal((1, 0), q.Queue.RemoveJobs(new JobFilter { Ids = [id] }));
                Assert.Equal(0, q.Count());
                break;
            case "stop":
                Assert.Equal(JobState.Dead, q.Queue.StopJob(id).State);
                break;
            case "wait for it":
                // Found (not JobNotFound), and still pending when the zero timeout runs out.
                var timedOut = await Assert.ThrowsAsync<QueueException>(() => q.Queue.WaitForJobsAsync([id], TimeSpan.Zero));
                Assert.Equal(QueueErrorKind.Timeout, timedOut.Kind);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(operation), operation, null);
        }
        Assert.Equal(0, Waiting(q));
    }

    [Fact]
    public void A_write_that_fails_leaves_the_waiting_jobs_where_they_were()
    {
        using var q = new CoreQueue();
        q.Add("taken");
        var id = q.Queue.Enqueue(Plain()).Id;
        Assert.Equal(1, Waiting(q));

        // Refused inside the transaction that moved the inbox first: the move is undone with it.
        var error = Assert.Throws<QueueException>(() => q.Queue.EnqueueMany([Plain("new"), new JobSpec { Id = "taken", Command = "again" }]));

        Assert.Equal("DuplicateJobId", error.ErrorId);
        Assert.Equal(1, Waiting(q));
        Assert.Equal(1, q.Count());
        Assert.Equal(["taken", id], q.Queue.ListJobs().Select(j => j.Id));
    }

    [Fact]
    public void A_given_id_held_by_a_waiting_job_is_refused_or_skipped()
    {
        using var q = new CoreQueue();
        var waiting = q.Queue.Enqueue(Plain("first"));
        Assert.Equal(1, Waiting(q));

        var refused = Assert.Throws<QueueException>(() => q.Queue.Enqueue(new JobSpec { Id = waiting.Id, Command = "second" }));
        Assert.Equal("DuplicateJobId", refused.ErrorId);
        var skipped = q.Queue.Enqueue(new JobSpec { Id = waiting.Id, Command = "second" }, DuplicatePolicy.Skip);
        Assert.Equal("first", skipped.Command);
        var batch = Assert.Throws<QueueException>(() => q.Queue.EnqueueMany([Plain("third"), new JobSpec { Id = waiting.Id, Command = "fourth" }]));
        Assert.Equal("DuplicateJobId", batch.ErrorId);

        Assert.Equal(["first"], q.Queue.ListJobs().Select(j => j.Command));
    }

    [Fact]
    public void The_enqueue_that_fills_the_inbox_moves_it()
    {
        using var q = new CoreQueue();
        var ids = new List<string>();
        for (var i = 0; i < SqliteQueueStore.InboxLimit - 1; i++) ids.Add(q.Queue.Enqueue(Plain($"n{i}")).Id);
        Assert.Equal(SqliteQueueStore.InboxLimit - 1, Waiting(q));
        Assert.Equal(0, q.Count());

        ids.Add(q.Queue.Enqueue(Plain("last")).Id);

        Assert.Equal(0, Waiting(q));
        Assert.Equal(SqliteQueueStore.InboxLimit, q.Count());
        Assert.Equal(ids, ((string)q.Scalar("SELECT group_concat(id, ',') FROM (SELECT id FROM jobs ORDER BY seq)")!).Split(','));
    }

    [Fact]
    public void A_clock_jump_moves_the_delays_of_waiting_jobs_too()
    {
        using var q = new CoreQueue();
        var delayed = q.Queue.Enqueue(new JobSpec { Command = "later", Delay = TimeSpan.FromMinutes(10) });
        Assert.Equal(1, Waiting(q));

        Assert.True(q.Store.ShiftRelativeTimes(TimeSpan.FromHours(-2), CoreQueue.Start)); // as a worker that noticed the jump does

        Assert.Equal(0, Waiting(q));
        Assert.Equal(delayed.NextRunAt.AddHours(-2), q.Queue.GetJob(delayed.Id).NextRunAt);
    }

    [Fact]
    public void A_file_too_full_to_move_the_inbox_still_takes_outcomes_and_claims_and_moves_it_once_room_is_made()
    {
        using var temp = new QueueCtl.Tests.Support.TempQueue();
        var limit = new StoreOptions { MaxPageCount = 64 };
        using var queue = JobQueue.Open(temp.DatabasePath, options: limit);
        using var worker = SqliteQueueStore.Open(temp.DatabasePath, options: limit);
        var padding = new string('x', 2_000);
        for (var batch = 0; ; batch++)
        {
            try { queue.EnqueueMany(Enumerable.Range(0, 10).Select(n => new JobSpec { Id = $"old-{batch}-{n}", Command = "echo " + padding })); }
            catch (QueueException e) when (e.Kind == QueueErrorKind.Full) { break; }
        }
        // A little room, filled by jobs that wait in the inbox, until that is refused too.
        queue.RemoveJobs(new JobFilter { Ids = ["old-0-0", "old-0-1", "old-0-2", "old-0-3"] });
        var waiting = new List<string>();
        while (true)
        {
            try { waiting.Add(queue.Enqueue(new JobSpec { Command = "echo " + padding }).Id); }
            catch (QueueException e) when (e.Kind == QueueErrorKind.Full) { break; }
        }
        Assert.NotEmpty(waiting);
        Assert.Equal(waiting.Count, temp.Scalar("SELECT count(*) FROM jobs_inbox"));

        // The claim's transaction cannot move them, and claims what is in jobs all the same; its outcome is recorded.
        var config = worker.GetConfig();
        var claimed = worker.Claim("w1", [], 1, config).Single();
        Assert.StartsWith("old-", claimed.Id);
        var finished = worker.Finish("w1", [(claimed, AttemptResult.Success())], config).Single();
        Assert.True(finished.Applied);
        Assert.Equal(JobState.Completed, finished.NewState);
        Assert.Equal(waiting.Count, temp.Scalar("SELECT count(*) FROM jobs_inbox"));

        // Room made: the next read moves them, in their order, behind the older jobs.
        queue.RemoveJobs(new JobFilter { States = [JobState.Completed] });
        queue.RemoveJobs(new JobFilter { Ids = queue.ListJobs().Where(j => j.Id.StartsWith("old-", StringComparison.Ordinal)).Take(10).Select(j => j.Id).ToList() });
        Assert.Equal(waiting, queue.ListJobs().Select(j => j.Id).Where(id => !id.StartsWith("old-", StringComparison.Ordinal)));
        Assert.Equal(0, temp.Scalar("SELECT count(*) FROM jobs_inbox"));
    }
}
