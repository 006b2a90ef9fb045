using QueueCtl.Tests.Support;

namespace QueueCtl.Tests.Cli;

public class DemoTests
{
    [Fact]
    public void Demo_runs_the_whole_lifecycle_and_ends_with_the_dlq()
    {
        var result = CliRunner.Run(null, null, TimeSpan.FromSeconds(180), "demo");
        Assert.True(result.ExitCode == 0, result.ToString());
        var output = result.StdOut;
        foreach (var step in new[] { "picked", "completed", "retrying", "deadlettered", "urgent#1", "later#1", "timeout" })
            Assert.Contains(step, output);
        // The prioritized job, enqueued fourth, is picked first.
        Assert.True(output.IndexOf("picked       urgent#1", StringComparison.Ordinal) < output.IndexOf("picked       hello#1", StringComparison.Ordinal), output);
        var status = output.IndexOf("$ queuectl status", StringComparison.Ordinal);
        var dlq = output.IndexOf("$ queuectl dlq list", StringComparison.Ordinal);
        Assert.True(status > 0 && dlq > status, output);
        Assert.Contains("3 completed", output[status..dlq]);
        Assert.Contains("2 dead", output[status..dlq]);
        var dlqTable = output[dlq..];
        Assert.Contains("flaky", dlqTable);
        Assert.Contains("slow", dlqTable);
        Assert.DoesNotContain("hello ", dlqTable);
    }
}
