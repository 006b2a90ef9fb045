using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Processes;

namespace QueueCtl.Core.Workers;

/// <summary>
/// Runs a job's command as a child process: in a session (and process group) of its own on
/// Unix, so that a timeout, a cancel or the recovery after a worker's death can end the whole
/// tree; with stdin closed; keeping the tail of stdout and stderr.
/// </summary>
public sealed class ShellExecutor : IJobExecutor
{
    public static readonly ShellExecutor Instance = new();

    // setsid(1) from util-linux: it runs the command in a new session without forking (the pid stays
    // the command's) because Process.Start's child is never a process-group leader.
    internal static readonly string? Setsid = OperatingSystem.IsLinux()
        ? new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists) : null;

    /// <summary>How long a command may take to go after SIGTERM before its group is killed.</summary>
    public static TimeSpan TermGrace { get; set; } = TimeSpan.FromSeconds(2);

    public async Task<AttemptResult> ExecuteAsync(ClaimedJob job, ExecutionContext context, CancellationToken abort)
    {
        if (job.WorkingDirectory is { } folder && !Directory.Exists(folder))
            return new AttemptResult(AttemptOutcome.Failed, null, $"cannot start: the working directory '{folder}' does not exist", null);

        ProcessStartInfo startInfo;
        try { startInfo = BuildStartInfo(job); }
        catch (FormatException e) { return new AttemptResult(AttemptOutcome.Failed, null, $"cannot start: {e.Message}", null); }

        using var process = new Process { StartInfo = startInfo };
        try
        {
            if (!process.Start()) return new AttemptResult(AttemptOutcome.Failed, null, "cannot start: the process did not start", null);
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            return new AttemptResult(AttemptOutcome.Failed, null, $"cannot start '{startInfo.FileName}': {e.Message}", null);
        }

        context.ProcessStarted(process.Id);
        try { process.StandardInput.Close(); } catch (IOException) { /* it exited already */ }
        var tail = new OutputTail(context.OutputLimit);
        var pumps = Task.WhenAll(tail.PumpAsync(process.StandardOutput.BaseStream), tail.PumpAsync(process.StandardError.BaseStream));

        using var timeout = job.TimeoutSec > 0 ? new CancellationTokenSource(TimeSpan.FromSeconds(job.TimeoutSec)) : new CancellationTokenSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(abort, timeout.Token);
        var ended = false;
        try
        {
            await process.WaitForExitAsync(stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            ended = true;
            await EndTreeAsync(process).ConfigureAwait(false);
        }
        if (!ended && Setsid is not null) ProcessTools.SignalGroup(process.Id, ProcessTools.SigKill); // leftovers of a finished job

        // Background children may hold the pipes open; do not wait for them forever.
        await Task.WhenAny(pumps, Task.Delay(TimeSpan.FromMilliseconds(ended ? 500 : 2000))).ConfigureAwait(false);
        var output = tail.Text();
        var exitCode = process.ExitCode;

        if (timeout.IsCancellationRequested && !abort.IsCancellationRequested)
            return new AttemptResult(AttemptOutcome.TimedOut, exitCode, $"timeout: still running after {job.TimeoutSec} s; its process tree was ended", output);
        if (ended)
            return new AttemptResult(AttemptOutcome.Failed, exitCode, "ended before it finished", output);
        return exitCode == 0
            ? new AttemptResult(AttemptOutcome.Succeeded, 0, null, output)
            : new AttemptResult(AttemptOutcome.Failed, exitCode, DescribeExit(exitCode), output);
    }

    private static string DescribeExit(int exitCode) => exitCode switch
    {
        127 when !OperatingSystem.IsWindows() => "exit code 127: command not found",
        126 when !OperatingSystem.IsWindows() => "exit code 126: command not executable",
        > 128 and < 160 when !OperatingSystem.IsWindows() => $"killed by signal {exitCode - 128} (exit code {exitCode})",
        _ => $"exit code {exitCode}",
    };

    /// <summary>SIGTERM to the whole group, a short grace, then SIGKILL to whatever is left.</summary>
    private static async Task EndTreeAsync(Process process)
    {
        if (Setsid is not null)
        {
            ProcessTools.SignalGroup(process.Id, ProcessTools.SigTerm);
            using var grace = new CancellationTokenSource(TermGrace);
            try { await process.WaitForExitAsync(grace.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
            ProcessTools.SignalGroup(process.Id, ProcessTools.SigKill);
        }
        try { process.Kill(entireProcessTree: true); }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception) { /* already gone */ }
        await process.WaitForExitAsync().ConfigureAwait(false);
    }

    internal static ProcessStartInfo BuildStartInfo(ClaimedJob job)
    {
        var startInfo = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        IReadOnlyList<string> argv = job.Shell switch
        {
            JobShell.Sh => ["/bin/sh", "-c", job.Command],
            JobShell.Pwsh => ["pwsh", "-NoProfile", "-NonInteractive", "-Command", job.Command],
            JobShell.None => CommandLineSplitter.Split(job.Command),
            JobShell.Cmd => [],
            _ => throw new FormatException($"unknown shell {job.Shell}"),
        };
        if (job.Shell == JobShell.Cmd)
        {
            // cmd.exe parses its own command line: pass it raw rather than through argv quoting.
            startInfo.FileName = "cmd.exe";
            startInfo.Arguments = $"/d /s /c \"{job.Command}\"";
        }
        else if (Setsid is not null)
        {
            startInfo.FileName = Setsid;
            foreach (var arg in argv) startInfo.ArgumentList.Add(arg);
        }
        else
        {
            startInfo.FileName = argv[0];
            foreach (var arg in argv.Skip(1)) startInfo.ArgumentList.Add(arg);
        }
        if (job.WorkingDirectory is not null) startInfo.WorkingDirectory = job.WorkingDirectory;
        foreach (var (name, value) in job.Environment) startInfo.Environment[name] = value;
        // Jobs can tell which job and attempt they are (and scripts can make themselves idempotent).
        startInfo.Environment["QUEUECTL_JOB_ID"] = job.Id;
        startInfo.Environment["QUEUECTL_ATTEMPT"] = job.Attempt.ToString(CultureInfo.InvariantCulture);
        startInfo.Environment["QUEUECTL_QUEUE"] = job.Queue;
        return startInfo;
    }
}
