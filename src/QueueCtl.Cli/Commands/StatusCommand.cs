using System.CommandLine;
using QueueCtl.Cli.Output;
using QueueCtl.Core.Status;

namespace QueueCtl.Cli.Commands;

/// <summary>queuectl status: counts per state and queue, live workers, durations, throughput.</summary>
internal static class StatusCommand
{
    public static Command Build()
    {
        var status = new Command("status", "Show job counts per state and queue, live workers, durations and throughput.") { Common.Json };
        status.SetHandler(parse =>
        {
            using var queue = Common.OpenQueue(parse);
            var s = queue.GetStatus();
            if (parse.GetValue(Common.Json)) JsonOutput.Write(JsonOutput.Status(s));
            else Write(s);
            return 0;
        });
        return status;
    }

    public static void Write(QueueStatus s)
    {
        Console.WriteLine($"Database    {s.Database}");
        Console.WriteLine($"Jobs        {s.Total} total: {s.Pending} pending ({s.Scheduled} scheduled), {s.Processing} processing, {s.Completed} completed, {s.Failed} failed, {s.Dead} dead");
        Console.WriteLine($"Workers     {s.Workers} live, {s.Slots} slot(s)");
        Console.WriteLine($"Duration    average {Text.Duration(s.AverageDuration)}, p95 {Text.Duration(s.P95Duration)}");
        Console.WriteLine($"Throughput  {Text.Number(s.Throughput)} attempts/s over the last minute");
        if (s.Queues.Count == 0) return;
        Console.WriteLine();
        var table = new Table("QUEUE", ">PENDING", ">SCHEDULED", ">PROCESSING", ">COMPLETED", ">FAILED", ">DEAD", ">TOTAL");
        foreach (var q in s.Queues) table.Add(q.Queue, q.Pending, q.Scheduled, q.Processing, q.Completed, q.Failed, q.Dead, q.Total);
        table.Write(Console.Out);
    }
}
