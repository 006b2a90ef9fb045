using System.Text;
using QueueCtl.Core.Processes;

namespace QueueCtl.Tests.Core;

/// <summary>The ring that keeps the end of a job's output, whole characters only.</summary>
public class OutputTailTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    public void Output_tail_drops_a_cut_character_however_the_bytes_arrive(int chunk)
    {
        var text = string.Concat(Enumerable.Repeat("\u00e9\u20ac\U0001F600x", 500));
        var bytes = Encoding.UTF8.GetBytes(text);
        foreach (var limit in new[] { 10, 11, 12, 13, 101, 4095 })
        {
            var tail = new OutputTail(limit);
            for (var i = 0; i < bytes.Length; i += chunk) tail.Append(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
            var kept = tail.Text()!;
            Assert.DoesNotContain('\uFFFD', kept);
            Assert.EndsWith(kept, text);
            Assert.InRange(Encoding.UTF8.GetByteCount(kept), limit - 3, limit);
            Assert.Equal(bytes.Length, tail.TotalBytes);
        }
    }

    [Fact]
    public void Output_tail_drops_a_cut_character_when_one_write_overflows_it()
    {
        // One read larger than the limit is how a pipe often delivers output.
        var bytes = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("\u00e9", 100))); // 200 bytes
        var tail = new OutputTail(7);
        tail.Append(bytes);
        Assert.Equal("\u00e9\u00e9\u00e9", tail.Text());
        Assert.Equal(200, tail.TotalBytes);
    }

    [Fact]
    public void Output_tail_keeps_short_output_whole()
    {
        var tail = new OutputTail(100);
        Assert.Null(tail.Text());
        tail.Append("h\u00e9llo "u8);
        tail.Append("w\u00f6rld"u8);
        Assert.Equal("h\u00e9llo w\u00f6rld", tail.Text());
    }
}
