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
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return long.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture); // field 22: starttime
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                return null;
            }
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

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
