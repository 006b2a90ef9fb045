using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;

namespace QueueCtl.Tests.Core;

/// <summary>
/// Batches of <see cref="BatchValidation.InBackgroundFrom"/> jobs or more are checked on a thread
/// of their own while the store writes them. What a caller sees must not change: every job stored
/// in order, or (when one is refused) nothing, with the refused spec named by its position, and a
/// refused spec reported before anything writing the others met (a taken id).
/// </summary>
public class BatchValidationTests
{
    private const int Large = BatchValidation.InBackgroundFrom * 2 + 7;

    private static List<JobSpec> Specs(int count) =>
        Enumerable.Range(0, count).Select(i => new JobSpec { Command = $"echo {i}", Priority = i % 3 }).ToList();

    private const int SmallChunk = 1 << BatchValidation.SmallChunkBits;
    private const int LargeChunk = 1 << BatchValidation.LargeChunkBits;

    /// <summary>
    /// Either side of where the checked jobs' chunks end: a batch checked at once keeps them in
    /// chunks of 512, one checked in the background in chunks of 4,096.
    /// </summary>
    public static TheoryData<int> Sizes => new()
    {
        SmallChunk - 1, SmallChunk, SmallChunk + 1, 2 * SmallChunk + 3, BatchValidation.InBackgroundFrom - 1,
        BatchValidation.InBackgroundFrom, LargeChunk + 1, Large,
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void A_batch_is_stored_whole_in_order_with_ids_that_sort_as_given(int count)
    {
        using var q = new CoreQueue();
        var specs = Specs(count);

        var result = q.Queue.EnqueueMany(specs);

        Assert.Equal(count, result.Added.Count);
        Assert.Empty(result.Skipped);
        // Made on the checking thread, the ids still count up in the batch's order.
        for (var i = 1; i < result.Added.Count; i++)
            Assert.True(string.CompareOrdinal(result.Added[i - 1], result.Added[i]) < 0, $"id {i} does not sort after id {i - 1}");
        var stored = (string)q.Scalar("SELECT group_concat(command || ':' || priority, ',') FROM (SELECT command, priority FROM jobs ORDER BY seq)")!;
        Assert.Equal(string.Join(",", specs.Select(s => $"{s.Command}:{s.Priority}")), stored);
        foreach (var at in new[] { 0, count / 2, count - 1 })
            Assert.Equal(specs[at].Command, q.Queue.GetJob(result.Added[at]).Command);
    }

    /// <summary>Where the refused spec falls: first, where the checks hand over, in the middle, last; and in a small batch.</summary>
    public static TheoryData<int, int> RefusedAt => new()
    {
        { Large, 0 },
        { Large, 255 },
        { Large, 256 },
        { Large, BatchValidation.InBackgroundFrom },
        { Large, Large - 1 },
        { 40, 17 },
    };

    [Theory]
    [MemberData(nameof(RefusedAt))]
    public void A_refused_spec_writes_nothing_and_is_named_by_its_position(int count, int at)
    {
        using var q = new CoreQueue();
        q.Add("before");
        var specs = Specs(count);
        specs[at] = new JobSpec { Command = "echo too important", Priority = 5000 };

        var e = Assert.Throws<QueueException>(() => q.Queue.EnqueueMany(specs));

        Assert.Equal("InvalidPriority", e.ErrorId);
        Assert.Equal(at, e.ItemIndex);
        Assert.Equal(1, q.Count());
        // The connection is left ready: the same batch without the refused spec goes in whole.
        specs.RemoveAt(at);
        Assert.Equal(count - 1, q.Queue.EnqueueMany(specs).Added.Count);
        Assert.Equal(count, q.Count());
    }

    /// <summary>A batch given whole (EnqueueMany), or as a sequence read while it is written (EnqueueStreamed).</summary>
    private static EnqueueResult Enqueue(CoreQueue q, List<JobSpec> specs, bool streamed, DuplicatePolicy duplicates = DuplicatePolicy.Fail) =>
        streamed ? q.Queue.EnqueueStreamed(specs.Select(spec => spec), duplicates) : q.Queue.EnqueueMany(specs, duplicates);

    [Theory]
    [InlineData(Large, false)]
    [InlineData(40, false)]
    [InlineData(Large, true)]
    [InlineData(40, true)]
    public void A_refused_spec_is_reported_before_a_taken_id_that_comes_first(int count, bool streamed)
    {
        using var q = new CoreQueue();
        q.Add("taken", "echo original");
        var specs = Specs(count);
        specs[3] = new JobSpec { Id = "taken", Command = "echo replacement" };
        specs[count - 2] = new JobSpec { Command = "   " };

        var e = Assert.Throws<QueueException>(() => Enqueue(q, specs, streamed));

        Assert.Equal("EmptyCommand", e.ErrorId);
        Assert.Equal(count - 2, e.ItemIndex);
        Assert.Equal(1, q.Count());
        Assert.Equal("echo original", q.Queue.GetJob("taken").Command);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_taken_id_in_a_large_batch_refuses_all_of_it_or_is_skipped_when_asked(bool streamed)
    {
        using var q = new CoreQueue();
        q.Add("taken", "echo original");
        var specs = Specs(Large);
        specs[Large - 5] = new JobSpec { Id = "taken", Command = "echo replacement" };

        var e = Assert.Throws<QueueException>(() => Enqueue(q, specs, streamed));
        Assert.Equal("DuplicateJobId", e.ErrorId);
        Assert.Null(e.ItemIndex);
        Assert.Equal(1, q.Count());

        // Skipping goes through the batch a second time, one job at a time.
        var result = Enqueue(q, specs, streamed, DuplicatePolicy.Skip);
        Assert.Equal(["taken"], result.Skipped);
        Assert.Equal(Large - 1, result.Added.Count);
        Assert.Equal(Large, q.Count());
        Assert.Equal("echo original", q.Queue.GetJob("taken").Command);
    }

    [Fact]
    public void A_lazy_sequence_of_specs_is_read_once()
    {
        using var q = new CoreQueue();
        var reads = 0;
        IEnumerable<JobSpec> Lazy()
        {
            reads++;
            foreach (var spec in Specs(Large)) yield return spec;
        }

        Assert.Equal(Large, q.Queue.EnqueueMany(Lazy()).Added.Count);
        Assert.Equal(1, reads);
    }
}
