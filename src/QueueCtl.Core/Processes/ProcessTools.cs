using System.Diagnostics;
using System.Runtime.InteropServices;

namespace QueueCtl.Core.Processes;

/// <summary>
/// Process identity and signalling. A pid alone is not an identity (pids are reused), so a
/// "start marker" (when the process started) goes with it wherever a pid is remembered.
/// </summary>
internal static partial class ProcessTools
{
    public const int SigKill = 9, SigTerm = 15;

    public static int CurrentPid { get; } = System.Environment.ProcessId;
    public static long? CurrentStartMarker { get; } = StartMarker(System.Environment.ProcessId);

    /// <summary>A value that changes when the pid is reused: the start time in clock ticks on Linux, else in seconds.</summary>
    public static long? StartMarker(int pid)
    {
        if (pid <= 0) return null;
        if (OperatingSystem.IsLinux())
        {
            // Field 22 of /proc/PID/stat: the start time.
            return StatFields(pid) is { Length: > 19 } fields
                && long.TryParse(fields[19], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var start)
                ? start : null;
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited ? null : new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeSeconds();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>Whether the process that had this pid and start marker is still running.</summary>
    public static bool IsAlive(int pid, long? startMarker)
    {
        var now = StartMarker(pid);
        return now is not null && (startMarker is null || now == startMarker);
    }

    /// <summary>Whether any process of the group led by <paramref name="pgid"/> still exists (Unix only).</summary>
    public static bool GroupExists(int pgid)
    {
        if (OperatingSystem.IsWindows() || pgid <= 1) return false;
        return Kill(-pgid, 0) == 0 || Marshal.GetLastPInvokeError() == 1; // EPERM: exists, not ours
    }

    /// <summary>Signals a whole process group (Unix). Returns false when no such group exists.</summary>
    public static bool SignalGroup(int pgid, int signal)
    {
        if (OperatingSystem.IsWindows() || pgid <= 1) return false;
        return Kill(-pgid, signal) == 0;
    }

    /// <summary>Signals one process (Unix).</summary>
    public static bool Signal(int pid, int signal)
    {
        if (OperatingSystem.IsWindows() || pid <= 1) return false;
        return Kill(pid, signal) == 0;
    }

    /// <summary>Ends a process group at once and waits (briefly) until none of it is left.</summary>
    public static void KillGroupAndWait(int pgid, TimeSpan wait)
    {
        if (!SignalGroup(pgid, SigKill)) return;
        var deadline = Stopwatch.StartNew();
        while (GroupExists(pgid) && deadline.Elapsed < wait) Thread.Sleep(5);
    }

    /// <summary>
    /// Ends every process left from one attempt of a job on this machine and waits until none is
    /// left: the process group the worker recorded (if it had time to record it) and any process
    /// whose environment names the job and attempt (QUEUECTL_JOB_ID, QUEUECTL_ATTEMPT, which every
    /// descendant inherits). Zombies are not counted: they run nothing and hold no locks.
    /// Returns false if something still runs at the deadline (the caller must not retry the job yet).
    /// Outside Linux only the recorded group is ended, and the answer is true.
    /// </summary>
    public static bool EndAttemptProcesses(int? pgid, string jobId, int attempt, TimeSpan wait)
    {
        if (!OperatingSystem.IsLinux())
        {
            if (pgid is { } group) KillGroupAndWait(group, wait);
            return true;
        }
        var marks = new[] { $"QUEUECTL_JOB_ID={jobId}\0", $"QUEUECTL_ATTEMPT={attempt}\0" };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var left = LiveProcesses((pid, group) => pgid is { } g && group == g || EnvironmentHasAll(pid, marks));
            if (left.Count == 0) return true;
            if (deadline.Elapsed > wait) return false;
            if (pgid is { } leader) SignalGroup(leader, SigKill);
            foreach (var pid in left) Signal(pid, SigKill);
            Thread.Sleep(10);
        }
    }

    // Processes that are running (not zombies) and match (given their pid and process group), read from /proc.
    private static List<int> LiveProcesses(Func<int, int?, bool> match)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid <= 1 || pid == CurrentPid) continue;
            if (StatFields(pid) is not { Length: > 2 } fields || fields[0] is "Z" or "X") continue;
            if (match(pid, int.TryParse(fields[2], out var group) ? group : null)) found.Add(pid);
        }
        return found;
    }

    // The fields of /proc/PID/stat after the command name: [0] state, [1] ppid, [2] pgrp, ... [19] starttime.
    private static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static bool EnvironmentHasAll(int pid, string[] marks)
    {
        try
        {
            var environment = "\0" + File.ReadAllText($"/proc/{pid}/environ");
            return marks.All(mark => environment.Contains("\0" + mark, StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
