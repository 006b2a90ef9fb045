using System.Reflection;
using System.Runtime.InteropServices;

namespace QueueCtl.Core.Processes;

/// <summary>
/// The C library calls behind <see cref="SpawnedJobProcess"/> (Linux): posix_spawn of a command in
/// a session of its own, with its output on a pipe, and waitpid for its end.
/// </summary>
internal static partial class PosixSpawn
{
    // Flag and errno values are the same in glibc and musl on every architecture .NET runs on Linux.
    private const short SetSignalDefaults = 0x04, SetSignalMask = 0x08, SetSid = 0x80;
    private const int CloseOnExec = 0x80000, ReadOnly = 0;
    private const int SigChld = 17;
    public const int ENOENT = 2, EINTR = 4, ENOEXEC = 8, ECHILD = 10, EACCES = 13, ENOTDIR = 20;

    /// <summary>Linux with a C library that has posix_spawn_file_actions_addchdir_np (glibc 2.29, musl 1.1.24) and so POSIX_SPAWN_SETSID.</summary>
    public static bool Supported { get; } = OperatingSystem.IsLinux()
        && NativeLibrary.TryLoad("libc", Assembly.GetExecutingAssembly(), null, out var libc)
        && NativeLibrary.TryGetExport(libc, "posix_spawn_file_actions_addchdir_np", out _);

    /// <summary>
    /// Starts <paramref name="program"/> in a new session (so it leads its own process group), with
    /// stdin from /dev/null, stdout and stderr on one new pipe, every signal at its default and
    /// none blocked. Returns 0 and the pid and the pipe's read end, or the errno of the failure.
    /// </summary>
    public static int Spawn(string program, IReadOnlyList<string> argv, IReadOnlyList<string> environment, string? folder, out int pid, out int outputFd)
    {
        pid = 0;
        outputFd = -1;
        Span<int> pipe = stackalloc int[2];
        if (pipe2(pipe, CloseOnExec) != 0) return Marshal.GetLastPInvokeError();

        var attr = Marshal.AllocHGlobal(1024);
        var actions = Marshal.AllocHGlobal(1024);
        var nativeArgv = NativeStrings(argv);
        var nativeEnvironment = NativeStrings(environment);
        Span<byte> noSignals = stackalloc byte[128], allSignals = stackalloc byte[128]; // sigset_t
        try
        {
            sigemptyset(noSignals);
            sigfillset(allSignals);
            posix_spawnattr_init(attr);
            posix_spawnattr_setflags(attr, (short)(SetSid | SetSignalMask | SetSignalDefaults));
            posix_spawnattr_setsigmask(attr, noSignals);
            // .NET ignores SIGPIPE, and an ignored signal stays ignored across exec: without this a
            // job's `producer | head` would see write errors where a terminal's would just end.
            posix_spawnattr_setsigdefault(attr, allSignals);
            posix_spawn_file_actions_init(actions);
            posix_spawn_file_actions_addopen(actions, 0, "/dev/null", ReadOnly, 0);
            posix_spawn_file_actions_adddup2(actions, pipe[1], 1);
            posix_spawn_file_actions_adddup2(actions, pipe[1], 2);
            if (folder is not null) posix_spawn_file_actions_addchdir_np(actions, folder);
            var error = posix_spawn(out pid, program, actions, attr, nativeArgv, nativeEnvironment);
            close(pipe[1]);
            if (error != 0)
            {
                close(pipe[0]);
                return error;
            }
            outputFd = pipe[0];
            return 0;
        }
        finally
        {
            posix_spawn_file_actions_destroy(actions);
            posix_spawnattr_destroy(attr);
            Marshal.FreeHGlobal(attr);
            Marshal.FreeHGlobal(actions);
            FreeNativeStrings(nativeArgv);
            FreeNativeStrings(nativeEnvironment);
        }
    }

    /// <summary>Blocks until the child exits and reaps it: its exit code, 128 + n for signal n, or null if it was reaped elsewhere.</summary>
    public static int? WaitForExit(int pid)
    {
        while (true)
        {
            if (waitpid(pid, out var status, 0) == pid)
            {
                var signal = status & 0x7f;
                return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR) return null; // ECHILD: someone else collected it
        }
    }

    /// <summary>Whether the child has exited (or is gone), without reaping it: its pid stays reserved until WaitForExit.</summary>
    public static bool HasExited(int pid)
    {
        Span<byte> info = stackalloc byte[128]; // siginfo_t; si_pid stays 0 while the child runs
        info.Clear();
        while (true)
        {
            if (waitid(1 /* P_PID */, pid, info, 4 | 1 | 0x01000000 /* WEXITED | WNOHANG | WNOWAIT */) == 0)
                return MemoryMarshal.Read<int>(info[(IntPtr.Size == 8 ? 16 : 12)..]) != 0; // si_pid: after signo, errno, code (and padding on 64-bit)
            if (Marshal.GetLastPInvokeError() != EINTR) return true; // ECHILD: nothing left to wait for
        }
    }

    /// <summary>A pidfd for the child (Linux 5.3+), readable once it has exited; -1 where the kernel has none.</summary>
    public static int OpenPidFd(int pid) => (int)syscall(434 /* pidfd_open, the same number on every architecture */, pid, 0);

    /// <summary>
    /// Waits until one of <paramref name="fds"/> is readable, hung up or in error, or
    /// <paramref name="timeoutMs"/> passed (-1: no limit). Fills each entry's returned events.
    /// </summary>
    public static void Poll(Span<PollFd> fds, int timeoutMs)
    {
        if (poll(fds, (nuint)fds.Length, timeoutMs) < 0 && Marshal.GetLastPInvokeError() is var errno && errno != EINTR)
            throw new IOException($"poll failed: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    /// <summary>Reads what is there (blocking only if nothing is): the byte count, 0 at the end, or -1 on an error.</summary>
    public static int Read(int fd, Span<byte> buffer)
    {
        while (true)
        {
            var read = (int)read_(fd, buffer, (nuint)buffer.Length);
            if (read >= 0 || Marshal.GetLastPInvokeError() != EINTR) return read;
        }
    }

    public static void Close(int fd) => close(fd);

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Returned;
    }

    public const short PollIn = 0x1;

    /// <summary>What a program path holds, as far as starting it goes.</summary>
    public enum ProgramCheck { Executable, Absent, Other }

    /// <summary>
    /// Executable (a file this process may run), Absent (nothing there, or a folder on the way is not
    /// one), or Other (a folder, or a file that cannot be run). One access(2) call for a path that
    /// is not there, the common answer along a PATH.
    /// </summary>
    public static ProgramCheck CheckProgram(string path)
    {
        if (access(path, 1 /* X_OK */) == 0) return Directory.Exists(path) ? ProgramCheck.Other : ProgramCheck.Executable;
        return Marshal.GetLastPInvokeError() is ENOENT or ENOTDIR ? ProgramCheck.Absent : ProgramCheck.Other;
    }

    /// <summary>
    /// A worker started with SIGCHLD ignored would have its children reaped by the kernel, and no
    /// exit status to report. Puts it back to the default (a no-op when it is handled or default).
    /// </summary>
    public static void UnignoreChildSignal()
    {
        Span<byte> current = stackalloc byte[256]; // struct sigaction: the handler comes first
        if (sigaction(SigChld, IntPtr.Zero, current) == 0 && MemoryMarshal.Read<nint>(current) == 1 /* SIG_IGN */)
            signal(SigChld, 0 /* SIG_DFL */);
    }

    private static IntPtr NativeStrings(IReadOnlyList<string> strings)
    {
        var array = Marshal.AllocHGlobal(IntPtr.Size * (strings.Count + 1));
        for (var i = 0; i < strings.Count; i++) Marshal.WriteIntPtr(array, i * IntPtr.Size, Marshal.StringToCoTaskMemUTF8(strings[i]));
        Marshal.WriteIntPtr(array, strings.Count * IntPtr.Size, IntPtr.Zero);
        return array;
    }

    private static void FreeNativeStrings(IntPtr array)
    {
        for (var i = 0; Marshal.ReadIntPtr(array, i * IntPtr.Size) is var p && p != IntPtr.Zero; i++) Marshal.FreeCoTaskMem(p);
        Marshal.FreeHGlobal(array);
    }

    [LibraryImport("libc", SetLastError = true)] private static partial int pipe2(Span<int> fds, int flags);
    [LibraryImport("libc")] private static partial int close(int fd);
    [LibraryImport("libc")] private static partial int sigemptyset(Span<byte> set);
    [LibraryImport("libc")] private static partial int sigfillset(Span<byte> set);
    [LibraryImport("libc")] private static partial int posix_spawnattr_init(IntPtr attr);
    [LibraryImport("libc")] private static partial int posix_spawnattr_setflags(IntPtr attr, short flags);
    [LibraryImport("libc")] private static partial int posix_spawnattr_setsigmask(IntPtr attr, ReadOnlySpan<byte> set);
    [LibraryImport("libc")] private static partial int posix_spawnattr_setsigdefault(IntPtr attr, ReadOnlySpan<byte> set);
    [LibraryImport("libc")] private static partial int posix_spawnattr_destroy(IntPtr attr);
    [LibraryImport("libc")] private static partial int posix_spawn_file_actions_init(IntPtr actions);
    [LibraryImport("libc")] private static partial int posix_spawn_file_actions_adddup2(IntPtr actions, int fd, int newFd);
    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)] private static partial int posix_spawn_file_actions_addopen(IntPtr actions, int fd, string path, int flags, int mode);
    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)] private static partial int posix_spawn_file_actions_addchdir_np(IntPtr actions, string path);
    [LibraryImport("libc")] private static partial int posix_spawn_file_actions_destroy(IntPtr actions);
    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)] private static partial int posix_spawn(out int pid, string path, IntPtr actions, IntPtr attr, IntPtr argv, IntPtr envp);
    [LibraryImport("libc", SetLastError = true)] private static partial int waitpid(int pid, out int status, int options);
    [LibraryImport("libc", SetLastError = true)] private static partial int waitid(int idType, int id, Span<byte> info, int options);
    [LibraryImport("libc", SetLastError = true)] private static partial nint syscall(nint number, nint arg1, nint arg2);
    [LibraryImport("libc", SetLastError = true)] private static partial int poll(Span<PollFd> fds, nuint count, int timeoutMs);
    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)] private static partial nint read_(int fd, Span<byte> buffer, nuint count);
    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)] private static partial int access(string path, int mode);
    [LibraryImport("libc")] private static partial int sigaction(int signal, IntPtr action, Span<byte> oldAction);
    [LibraryImport("libc")] private static partial nint signal(int signal, nint handler);
}
