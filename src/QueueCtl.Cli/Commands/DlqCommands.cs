using System.CommandLine;
using QueueCtl.Cli.Input;
using QueueCtl.Cli.Output;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;

namespace QueueCtl.Cli.Commands;

/// <summary>queuectl dlq list, dlq retry ID...|--all: the dead-letter queue.</summary>
internal static class DlqCommands
{
    public static Command Build()
    {
        var dlq = new Command("dlq", "The dead-letter queue: jobs that ran out of retries.");
        dlq.Add(List());
        dlq.Add(Retry());
        return dlq;
    }

    private static Command List()
    {
        var queue = new Option<string[]>("--queue", "-q") { Description = "Only dead jobs of this queue (repeatable).", HelpName = "QUEUE" };
        var list = new Command("list", "List dead jobs with their last error.") { queue, Common.Json };
        list.SetHandler(parse =>
        {
            using var jobQueue = Common.OpenQueue(parse);
            var queues = (parse.GetValue(queue) ?? []).SelectMany(JobCommands.SplitCommas).Select(jobQueue.RequireKnownQueue).Distinct().ToList();
            var jobs = jobQueue.ListJobs(new JobFilter { States = [JobState.Dead], Queues = queues });
            if (parse.GetValue(Common.Json)) JsonOutput.Write(jobs.Select(j => JsonOutput.Job(j)).ToList());
            else Write(jobs);
            return 0;
        });
        return list;
    }

    public static void Write(IReadOnlyList<QueueJob> dead)
    {
        if (dead.Count == 0) { Console.WriteLine("The dead-letter queue is empty."); return; }
        var table = new Table("ID", "QUEUE", ">TRIES", ">EXIT", "DIED AT", "LAST ERROR", "COMMAND");
        foreach (var j in dead)
            table.Add(j.Id, j.Queue, j.Attempts, j.ExitCode?.ToString() ?? "-", Text.Time(j.FinishedAt ?? j.UpdatedAt),
                Text.Shorten(j.LastError, 50), Text.Shorten(j.Command, 50));
        table.Write(Console.Out);
    }

    private static Command Retry()
    {
        var ids = new Argument<string[]>("id") { Description = "Dead jobs to move back to pending.", Arity = ArgumentArity.ZeroOrMore };
        var all = new Option<bool>("--all") { Description = "Restore every dead job (of --queue, if given)." };
        var queue = new Option<string?>("--queue", "-q") { Description = "With --all: only this queue.", HelpName = "QUEUE" };
        var retry = new Command("retry", "Move dead jobs back to pending with their attempts reset (their history stays).") { ids, all, queue, Common.Json };
        retry.Aliases.Add("restore");
        retry.SetHandler(parse =>
        {
            var given = parse.GetValue(ids) ?? [];
            var everything = parse.GetValue(all);
            if (everything == (given.Length > 0))
                throw InputError.Invalid("RetryWhat", everything ? "Give job ids or --all, not both." : "Name the dead jobs to retry (queuectl dlq retry job1 job2), or use --all.");
            var onlyQueue = parse.GetValue(queue);
            if (onlyQueue is not null && !everything)
                throw InputError.Invalid("QueueWithoutAll", "--queue goes with --all; with job ids, the ids say which jobs.");
            using var jobQueue = Common.OpenQueue(parse);
            if (everything)
            {
                if (onlyQueue is not null) jobQueue.RequireKnownQueue(onlyQueue);
                var count = jobQueue.RestoreAllDeadJobs(onlyQueue);
                if (parse.GetValue(Common.Json)) JsonOutput.Write(new RestoredJson(count, null));
                else Console.WriteLine(count == 0 ? "The dead-letter queue is empty; nothing to retry." : $"restored {count} job(s) to pending");
                return 0;
            }
            // Check them all first, so that a wrong id does not leave the request half done.
            foreach (var id in given.Distinct())
            {
                var job = jobQueue.GetJob(id);
                if (job.State != JobState.Dead)
                    throw new QueueException(QueueErrorKind.Conflict, "JobNotDead",
                        $"Job '{id}' is {Text.State(job.State)}, not dead, so it cannot be retried from the dead-letter queue. Nothing was restored.", id);
            }
            var restored = given.Distinct().Select(id => jobQueue.RestoreDeadJob(id).Id).ToList();
            if (parse.GetValue(Common.Json)) JsonOutput.Write(new RestoredJson(restored.Count, restored));
            else foreach (var id in restored) Console.WriteLine($"restored {id} to pending");
            return 0;
        });
        return retry;
    }
}
