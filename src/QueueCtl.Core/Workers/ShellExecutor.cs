using System.Globalization;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Processes;

namespace QueueCtl.Core.Workers;

/// <summary>
/// Runs a job's command as a child process: in a session (and process group) of its own on
/// Unix, so that a timeout, a cancel or the recovery after a worker's death can end the whole
/// tree; with stdin closed; keeping the tail of stdout and stderr. On Linux the code after
/// ExecuteAsync runs on the thread that watched the command: await further jobs, do not block on them.
/// </summary>
public sealed class ShellExecutor : IJobExecutor
{
    public static readonly ShellExecutor Instance = new(JobProcess.DefaultStarter);

    private readonly Func<JobLaunch, OutputTail, JobProcess> _start;

    internal ShellExecutor(Func<JobLaunch, OutputTail, JobProcess> start) => _start = start;

    /// <summary>How long a command may take to go after SIGTERM before its group is killed.</summary>
    public static TimeSpan TermGrace { get; set; } = TimeSpan.FromSeconds(2);

    public async Task<AttemptResult> ExecuteAsync(ClaimedJob job, ExecutionContext context, CancellationToken abort)
    {
        if (job.WorkingDirectory is { } folder && !Directory.Exists(folder))
            return new AttemptResult(AttemptOutcome.Failed, null, $"cannot start: the working directory '{folder}' does not exist", null);

        var tail = new OutputTail(context.OutputLimit);
        JobProcess process;
        try { process = _start(BuildLaunch(job), tail); }
        catch (FormatException e) { return new AttemptResult(AttemptOutcome.Failed, null, $"cannot start: {e.Message}", null); }
        catch (JobStartException e) { return new AttemptResult(AttemptOutcome.Failed, null, e.Message, null); }

        using var owned = process;
        context.ProcessStarted(process.Id);

        using var timeout = job.TimeoutSec > 0 ? new CancellationTokenSource(TimeSpan.FromSeconds(job.TimeoutSec)) : null;
        using var stop = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(abort, timeout.Token);
        var ended = false;
        try
        {
            await process.Exited.WaitAsync(stop?.Token ?? abort).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            ended = true;
            await EndTreeAsync(process).ConfigureAwait(false);
        }

        // Background children outside its group may hold the pipe open; do not wait for them forever.
        if (!process.OutputEnded.IsCompleted)
            await Task.WhenAny(process.OutputEnded, Task.Delay(TimeSpan.FromMilliseconds(ended ? 500 : 2000))).ConfigureAwait(false);
        var output = tail.Text();
        var exitCode = await process.Exited.ConfigureAwait(false);

        if (timeout is { IsCancellationRequested: true } && !abort.IsCancellationRequested)
            return new AttemptResult(AttemptOutcome.TimedOut, exitCode, $"timeout: still running after {job.TimeoutSec} s; its process tree was ended", output);
        if (ended)
            return new AttemptResult(AttemptOutcome.Failed, exitCode, "ended before it finished", output);
        return exitCode switch
        {
            0 => new AttemptResult(AttemptOutcome.Succeeded, 0, null, output),
            null => new AttemptResult(AttemptOutcome.Failed, null, "ended, but its exit status was lost (something else in the worker reaped it)", output),
            _ => new AttemptResult(AttemptOutcome.Failed, exitCode, DescribeExit(exitCode.Value), output),
        };
    }

    private static string DescribeExit(int exitCode) => exitCode switch
    {
        127 when !OperatingSystem.IsWindows() => "exit code 127: command not found",
        126 when !OperatingSystem.IsWindows() => "exit code 126: command not executable",
        > 128 and < 160 when !OperatingSystem.IsWindows() => $"killed by signal {exitCode - 128} (exit code {exitCode})",
        _ => $"exit code {exitCode}",
    };

    /// <summary>SIGTERM to the whole group, a short grace, then SIGKILL to whatever is left.</summary>
    private static async Task EndTreeAsync(JobProcess process)
    {
        if (process.LeadsGroup)
        {
            ProcessTools.SignalGroup(process.Id, ProcessTools.SigTerm);
            try { await process.Exited.WaitAsync(TermGrace).ConfigureAwait(false); }
            catch (TimeoutException) { }
        }
        process.KillTree();
        await process.Exited.ConfigureAwait(false);
    }

    internal static JobLaunch BuildLaunch(ClaimedJob job)
    {
        IReadOnlyList<string> argv = job.Shell switch
        {
            JobShell.Sh => ["/bin/sh", "-c", job.Command],
            JobShell.Pwsh => ["pwsh", "-NoProfile", "-NonInteractive", "-Command", job.Command],
            JobShell.None => CommandLineSplitter.Split(job.Command),
            JobShell.Cmd => ["cmd.exe"],
            _ => throw new FormatException($"unknown shell {job.Shell}"),
        };
        if (argv.Count == 0) throw new FormatException("the command is empty");
        // cmd.exe parses its own command line: pass it raw rather than through argv quoting.
        var raw = job.Shell == JobShell.Cmd ? $"/d /s /c \"{job.Command}\"" : null;
        var environment = new Dictionary<string, string>(job.Environment, StringComparer.Ordinal)
        {
            // Jobs can tell which job and attempt they are (and scripts can make themselves idempotent).
            ["QUEUECTL_JOB_ID"] = job.Id,
            ["QUEUECTL_ATTEMPT"] = job.Attempt.ToString(CultureInfo.InvariantCulture),
            ["QUEUECTL_QUEUE"] = job.Queue,
        };
        // A shell started in the folder would set PWD to it; a program started without one must find it too.
        if (job.WorkingDirectory is { } folder && !OperatingSystem.IsWindows() && Path.IsPathRooted(folder))
            environment.TryAdd("PWD", folder);
        return new JobLaunch(argv, job.WorkingDirectory, environment, raw, job.Shell == JobShell.Sh ? job.Command : null);
    }
}
