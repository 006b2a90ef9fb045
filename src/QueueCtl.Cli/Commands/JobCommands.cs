using System.CommandLine;
using QueueCtl.Cli.Output;
using QueueCtl.Core.Jobs;

namespace QueueCtl.Cli.Commands;

/// <summary>queuectl list, show ID, logs ID: reading jobs.</summary>
internal static class JobCommands
{
    public static Command List()
    {
        var state = new Option<string[]>("--state", "-s") { Description = "Only jobs in this state: pending, processing, completed, failed, dead (repeatable).", HelpName = "STATE" };
        var queue = new Option<string[]>("--queue", "-q") { Description = "Only jobs of this queue (repeatable).", HelpName = "QUEUE" };
        var limit = new Option<string?>("--limit", "-n") { Description = "At most this many jobs, oldest first.", HelpName = "N" };
        var list = new Command("list", "List jobs, oldest first.") { state, queue, limit, Common.Json };
        list.Aliases.Add("ls");
        list.SetHandler(parse =>
        {
            var states = (parse.GetValue(state) ?? []).SelectMany(SplitCommas).Select(JobLifecycle.ParseStateName).Distinct().ToList();
            var max = Common.Integer(parse.GetValue(limit), "--limit", 1, int.MaxValue);
            using var jobQueue = Common.OpenQueue(parse);
            var queues = (parse.GetValue(queue) ?? []).SelectMany(SplitCommas).Select(jobQueue.RequireKnownQueue).Distinct().ToList();
            var jobs = jobQueue.ListJobs(new JobFilter { States = states, Queues = queues, Limit = max });
            if (parse.GetValue(Common.Json)) JsonOutput.Write(jobs.Select(j => JsonOutput.Job(j)).ToList());
            else WriteJobs(jobs, "No jobs match.");
            return 0;
        });
        return list;
    }

    public static void WriteJobs(IReadOnlyList<QueueJob> jobs, string empty)
    {
        if (jobs.Count == 0) { Console.WriteLine(empty); return; }
        var table = new Table("ID", "STATE", "QUEUE", ">PRI", ">TRIES", "NEXT RUN", "UPDATED", "COMMAND");
        foreach (var j in jobs)
            table.Add(j.Id, Text.State(j.State), j.Queue, j.Priority, $"{j.Attempts}/{j.MaxRetries + 1}",
                j.State is JobState.Pending or JobState.Failed ? Text.Time(j.NextRunAt) : "-", Text.Time(j.UpdatedAt), Text.Shorten(j.Command, 60));
        table.Write(Console.Out);
    }

    public static Command Show()
    {
        var id = new Argument<string>("id") { Description = "The job id." };
        var show = new Command("show", "Show every field of a job and its attempt history.") { id, Common.Json };
        show.Aliases.Add("get");
        show.SetHandler(parse =>
        {
            using var queue = Common.OpenQueue(parse);
            var job = queue.GetJob(parse.GetValue(id)!);
            var attempts = queue.GetAttempts(job.Id);
            if (parse.GetValue(Common.Json)) { JsonOutput.Write(JsonOutput.Job(job, withOutput: true, attempts)); return 0; }

            var fields = new List<(string, string)>
            {
                ("id", job.Id), ("command", job.Command), ("shell", job.Shell.ToString().ToLowerInvariant()), ("queue", job.Queue),
                ("priority", job.Priority.ToString()), ("state", Text.State(job.State)),
                ("attempts", $"{job.Attempts} of at most {job.MaxRetries + 1} (max_retries {job.MaxRetries})"),
                ("timeout", job.TimeoutSec == 0 ? "none" : $"{job.TimeoutSec} s"),
                ("run_at", Text.Time(job.RunAt)), ("next_run_at", Text.Time(job.NextRunAt)),
                ("working_directory", job.WorkingDirectory ?? "-"),
                ("environment", job.Environment.Count == 0 ? "-" : string.Join(" ", job.Environment.Select(p => $"{p.Key}={p.Value}"))),
                ("exit_code", job.ExitCode?.ToString() ?? "-"), ("last_error", job.LastError ?? "-"),
                ("created_at", Text.Time(job.CreatedAt)), ("updated_at", Text.Time(job.UpdatedAt)),
                ("started_at", Text.Time(job.StartedAt)), ("finished_at", Text.Time(job.FinishedAt)),
                ("duration", Text.Duration(job.Duration)), ("worker_id", job.WorkerId ?? "-"),
                ("lease_expires_at", Text.Time(job.LeaseExpiresAt)),
                ("output", job.Output is { Length: > 0 } o ? $"{System.Text.Encoding.UTF8.GetByteCount(o)} bytes (queuectl logs {job.Id})" : "-"),
            };
            var width = fields.Max(f => f.Item1.Length);
            foreach (var (name, value) in fields) Console.WriteLine($"{name.PadRight(width)}  {Text.OneLine(value)}");
            Console.WriteLine();
            if (attempts.Count == 0) { Console.WriteLine("No attempts yet."); return 0; }
            var table = new Table(">#", "OUTCOME", "WORKER", "STARTED", ">DURATION", ">EXIT", "ERROR");
            foreach (var a in attempts)
                table.Add(a.Number, JobLifecycle.OutcomeName(a.Outcome), a.WorkerId, Text.Time(a.StartedAt), Text.Duration(a.Duration),
                    a.ExitCode?.ToString() ?? "-", Text.Shorten(a.Error, 80));
            table.Write(Console.Out);
            return 0;
        });
        return show;
    }

    public static Command Logs()
    {
        var id = new Argument<string>("id") { Description = "The job id." };
        var logs = new Command("logs", "Print the captured output (the tail of stdout and stderr) of a job's last attempt.") { id, Common.Json };
        logs.Aliases.Add("output");
        logs.SetHandler(parse =>
        {
            using var queue = Common.OpenQueue(parse);
            var job = queue.GetJob(parse.GetValue(id)!);
            if (parse.GetValue(Common.Json)) { JsonOutput.Write(new LogsJson(job.Id, Text.State(job.State), job.Output ?? "")); return 0; }
            if (string.IsNullOrEmpty(job.Output))
            {
                Console.Error.WriteLine(job.Attempts == 0 ? $"Job {job.Id} has not run yet." : $"Job {job.Id} printed nothing.");
                return 0;
            }
            Console.Out.Write(job.Output);
            if (!job.Output.EndsWith('\n')) Console.Out.WriteLine();
            return 0;
        });
        return logs;
    }

    public static IEnumerable<string> SplitCommas(string value) => value.Split(',', StringSplitOptions.TrimEntries);
}
