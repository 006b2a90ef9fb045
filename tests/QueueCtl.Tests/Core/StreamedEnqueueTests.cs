using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;

namespace QueueCtl.Tests.Core;

/// <summary>
/// JobQueue.EnqueueStreamed: a sequence that makes its specs as it is read (the CLI parsing a
/// file) is read on a thread of its own while the jobs already read are written. A caller must
/// see what EnqueueMany gives: every job in order, or nothing, with the first problem in the
/// sequence's order as the error.
/// </summary>
public class StreamedEnqueueTests
{
    // Several of BatchValidation's chunks, and a part of one.
    private const int Large = 3 * 4096 + 7;

    private static IEnumerable<JobSpec> Specs(int count, Func<int, JobSpec?>? instead = null)
    {
        for (var i = 0; i < count; i++)
            yield return instead?.Invoke(i) ?? new JobSpec { Command = $"echo {i}", Priority = i % 3 };
    }

    [Fact]
    public void Every_job_is_stored_in_order_and_the_sequence_is_read_once_on_a_thread_of_its_own()
    {
        using var q = new CoreQueue();
        var reads = 0;
        var readOn = new HashSet<int>();
        IEnumerable<JobSpec> Lazy()
        {
            reads++;
            foreach (var spec in Specs(Large))
            {
                readOn.Add(Environment.CurrentManagedThreadId);
                yield return spec;
            }
        }

        var result = q.Queue.EnqueueStreamed(Lazy());

        Assert.Equal(1, reads);
        Assert.Equal(Large, result.Added.Count);
        Assert.Empty(result.Skipped);
        for (var i = 1; i < result.Added.Count; i++)
            Assert.True(string.CompareOrdinal(result.Added[i - 1], result.Added[i]) < 0, $"id {i} does not sort after id {i - 1}");
        var stored = (string)q.Scalar("SELECT group_concat(command || ':' || priority, ',') FROM (SELECT command, priority FROM jobs ORDER BY seq)")!;
        Assert.Equal(string.Join(",", Specs(Large).Select(s => $"{s.Command}:{s.Priority}")), stored);
        // On one core there is nothing to overlap with: the caller's thread reads it first.
        Assert.Single(readOn);
        Assert.Equal(Environment.ProcessorCount > 1, !readOn.Contains(Environment.CurrentManagedThreadId));
    }

    [Fact]
    public void Jobs_can_be_taken_while_the_sequence_is_still_being_read()
    {
        if (Environment.ProcessorCount == 1)
        {
            // One core: nothing to overlap with, so the sequence is read whole before anything is taken.
            using var whole = BatchValidation.StartReading(Specs(Large), CoreQueue.Start);
            Assert.Equal(Large, whole.Count());
            return;
        }
        using var held = new ManualResetEventSlim();
        var timedOut = false;
        IEnumerable<JobSpec> HeldPartWay()
        {
            foreach (var spec in Specs(Large, i =>
            {
                if (i == 8200) timedOut = !held.Wait(TimeSpan.FromSeconds(30));
                return null;
            }))
                yield return spec;
        }

        using var batch = BatchValidation.StartReading(HeldPartWay(), CoreQueue.Start);
        var taken = 0;
        using (var jobs = batch.GetEnumerator())
        {
            // The reading waits before job 8,200 until the test lets it go: the first 4,096 must be
            // there without it (had the batch waited for the whole sequence, the reading times out).
            while (taken < 4096 && jobs.MoveNext()) taken++;
            held.Set();
            while (jobs.MoveNext()) taken++;
        }

        Assert.False(timedOut);
        Assert.Equal(Large, taken);
    }

    [Fact]
    public void The_sequences_own_error_ends_the_batch_as_it_was_thrown_and_writes_nothing()
    {
        using var q = new CoreQueue();
        q.Add("before");
        var broken = new QueueException(QueueErrorKind.InvalidInput, "InvalidJson", "jobs.jsonl, line 9001: this is not valid JSON.");
        IEnumerable<JobSpec> BreaksAt9000()
        {
            foreach (var spec in Specs(9000)) yield return spec;
            throw broken;
        }

        var e = Assert.Throws<QueueException>(() => q.Queue.EnqueueStreamed(BreaksAt9000()));

        Assert.Same(broken, e);
        Assert.Null(e.ItemIndex); // not a spec's refusal: the sequence names its own place
        Assert.Equal(1, q.Count());
        // The connection is left ready.
        Assert.Equal(9000, q.Queue.EnqueueStreamed(Specs(9000)).Added.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4095)]
    [InlineData(4096)]
    [InlineData(Large - 1)]
    public void A_refused_spec_writes_nothing_and_is_named_by_its_position_before_a_later_error_of_the_sequence(int at)
    {
        using var q = new CoreQueue();
        q.Add("before");
        IEnumerable<JobSpec> RefusedThenBroken()
        {
            foreach (var spec in Specs(Large, i => i == at ? new JobSpec { Command = "echo too important", Priority = 5000 } : null))
                yield return spec;
            throw new InvalidOperationException("the sequence should not have been read this far");
        }

        var e = Assert.Throws<QueueException>(() => q.Queue.EnqueueStreamed(RefusedThenBroken()));

        Assert.Equal("InvalidPriority", e.ErrorId);
        Assert.Equal(at, e.ItemIndex);
        Assert.Equal(1, q.Count());
    }

    // A refusal beating a taken id, and a taken id refused or skipped: BatchValidationTests, for both ways in.

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(17)]
    public void Short_sequences_are_stored_whole(int count)
    {
        using var q = new CoreQueue();

        var result = q.Queue.EnqueueStreamed(Specs(count));

        Assert.Equal(count, result.Added.Count);
        Assert.Equal(count, q.Count());
    }
}
