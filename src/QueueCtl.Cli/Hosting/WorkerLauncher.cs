using System.Diagnostics;
using System.Runtime.InteropServices;
using QueueCtl.Core.Workers;

namespace QueueCtl.Cli.Hosting;

/// <summary>What a child `queuectl worker run` is asked to do.</summary>
internal sealed record ChildWorker(string Id, string Database, WorkerOptions Options, string? LogPath);

/// <summary>
/// Starts `queuectl worker run` child processes: attached ones (their output relayed to ours,
/// stopped through us) and detached ones (own session, no terminal, logging to a file).
/// </summary>
internal static class WorkerLauncher
{
    private const string SetSid = "/usr/bin/setsid";

    /// <summary>How to run this same queuectl again: the apphost, or `dotnet queuectl.dll`.</summary>
    private static (string File, string[] Prefix) Self()
    {
        var host = Environment.ProcessPath ?? "dotnet";
        var name = Path.GetFileNameWithoutExtension(host);
        return name.Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? (host, [Path.Combine(AppContext.BaseDirectory, "queuectl.dll")]) // not Assembly.Location: empty when compiled natively
            : (host, []);
    }

    private static List<string> RunArguments(ChildWorker child)
    {
        var args = new List<string> { "worker", "run", "--db", child.Database, "--worker-id", child.Id, "--concurrency", child.Options.Slots.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        foreach (var queue in child.Options.Queues) { args.Add("--queue"); args.Add(queue); }
        if (child.Options.Drain) args.Add("--once");
        if (child.LogPath is not null) { args.Add("--log"); args.Add(child.LogPath); }
        return args;
    }

    /// <summary>
    /// Starts an attached worker in a session of its own (so a terminal's Ctrl+C reaches only us, and
    /// we pass the stop on exactly once), relaying each line it prints through <paramref name="relay"/>.
    /// </summary>
    public static Process StartAttached(ChildWorker child, Action<string, bool> relay)
    {
        var (file, prefix) = Self();
        var start = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var useSetSid = !OperatingSystem.IsWindows() && File.Exists(SetSid);
        start.FileName = useSetSid ? SetSid : file;
        if (useSetSid) start.ArgumentList.Add(file);
        foreach (var arg in prefix.Concat(RunArguments(child))) start.ArgumentList.Add(arg);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) relay(e.Data, false); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) relay(e.Data, true); };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>
    /// Starts a detached worker: a new session (setsid), standard input and output on /dev/null,
    /// standard error appended to its log (so that a failure before its own logging starts is kept).
    /// Returns its pid.
    /// </summary>
    public static int StartDetached(ChildWorker child)
    {
        var (file, prefix) = Self();
        var start = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (OperatingSystem.IsWindows())
        {
            start.FileName = file;
            start.CreateNoWindow = true;
            foreach (var arg in prefix.Concat(RunArguments(child))) start.ArgumentList.Add(arg);
            using var windowsProcess = Process.Start(start)!;
            windowsProcess.StandardInput.Close();
            return windowsProcess.Id;
        }

        // sh starts the worker in the background with its streams redirected and prints its pid;
        // setsid (when present) gives it a session of its own, free of our terminal.
        start.FileName = "/bin/sh";
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("log=$1; shift; \"$@\" </dev/null >/dev/null 2>>\"$log\" & echo $!");
        start.ArgumentList.Add("queuectl-launch");
        start.ArgumentList.Add(child.LogPath ?? "/dev/null");
        if (File.Exists(SetSid)) start.ArgumentList.Add(SetSid);
        start.ArgumentList.Add(file);
        foreach (var arg in prefix.Concat(RunArguments(child))) start.ArgumentList.Add(arg);
        using var shell = Process.Start(start)!;
        shell.StandardInput.Close();
        var output = shell.StandardOutput.ReadToEnd();
        var errors = shell.StandardError.ReadToEnd();
        shell.WaitForExit();
        if (shell.ExitCode != 0 || !int.TryParse(output.Trim(), out var pid))
            throw new Core.Errors.QueueException(Core.Errors.QueueErrorKind.Worker, "WorkerStartFailed",
                $"Could not start worker {child.Id}: {(errors.Trim().Length > 0 ? errors.Trim() : $"the launcher exited with code {shell.ExitCode}")}.", child.Id);
        return pid;
    }

    /// <summary>Whether a process we started (perhaps no longer our child) is still running.</summary>
    public static bool IsRunning(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                return stat[(stat.LastIndexOf(')') + 2)] is not ('Z' or 'X');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException) { return false; }
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException) { return false; }
    }

    /// <summary>Sends SIGTERM (Unix); the child treats the first as graceful, the second as immediate.</summary>
    public static bool Terminate(int pid) => !OperatingSystem.IsWindows() && Kill(pid, 15) == 0;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
