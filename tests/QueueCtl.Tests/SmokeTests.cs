using QueueCtl.Core;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Workers;
using QueueCtl.Tests.Support;

namespace QueueCtl.Tests;

public class SmokeTests
{
    [Fact]
    public async Task A_job_runs_through_a_worker_process_and_completes()
    {
        using var temp = new TempQueue();
        using (var queue = JobQueue.Open(temp.DatabasePath))
            queue.Enqueue(new JobSpec { Id = "smoke", Command = "echo smoke" });
        var result = CliRunner.Run(null, "worker", "run", "--db", temp.DatabasePath, "--once");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var reopened = JobQueue.Open(temp.DatabasePath);
        var job = reopened.GetJob("smoke");
        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal("smoke\n", job.Output);
        await Task.CompletedTask;
    }
}
