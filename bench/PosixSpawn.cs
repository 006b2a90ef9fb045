using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace QueueCtl.Bench;

/// <summary>
/// Reference only (Linux, glibc): starting a command with posix_spawn in a session of its own
/// (POSIX_SPAWN_SETSID) instead of System.Diagnostics.Process plus the setsid executable. What a
/// one-exec shell job could reach; QueueCtl does not start jobs this way.
/// </summary>
internal static partial class PosixSpawn
{
    private const short SetSid = 0x80; // POSIX_SPAWN_SETSID (glibc)
    private const int CloseOnExec = 0x80000; // O_CLOEXEC
    private const int ReadOnly = 0;

    [LibraryImport("libc", SetLastError = true)] private static partial int pipe2(Span<int> fds, int flags);
    [LibraryImport("libc")] private static partial int posix_spawnattr_init(IntPtr attr);
    [LibraryImport("libc")] private static partial int posix_spawnattr_setflags(IntPtr attr, short flags);
    [LibraryImport("libc")] private static partial int posix_spawnattr_destroy(IntPtr attr);
    [LibraryImport("libc")] private static partial int posix_spawn_file_actions_init(IntPtr actions);
    [LibraryImport("libc")] private static partial int posix_spawn_file_actions_adddup2(IntPtr actions, int fd, int newFd);
    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)] private static partial int posix_spawn_file_actions_addopen(IntPtr actions, int fd, string path, int flags, int mode);
    [LibraryImport("libc")] private static partial int posix_spawn_file_actions_destroy(IntPtr actions);
    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)] private static partial int posix_spawn(out int pid, string path, IntPtr actions, IntPtr attr, IntPtr argv, IntPtr envp);
    [LibraryImport("libc", SetLastError = true)] private static partial int waitpid(int pid, out int status, int options);
    [LibraryImport("libc")] private static partial int close(int fd);

    public static bool Available => OperatingSystem.IsLinux();

    /// <summary>Commands per second: `/bin/sh -c true` in a new session, output to a pipe read to its end, then reaped.</summary>
    public static double ShellRate(int parallel, TimeSpan duration)
    {
        long n = 0;
        var clock = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, parallel).Select(_ => new Thread(() =>
        {
            var buffer = new byte[4096];
            while (clock.Elapsed < duration)
            {
                RunOnce(["/bin/sh", "-c", "true"], buffer);
                Interlocked.Increment(ref n);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return n / clock.Elapsed.TotalSeconds;
    }

    private static void RunOnce(string[] argv, byte[] buffer)
    {
        Span<int> fds = stackalloc int[2];
        if (pipe2(fds, CloseOnExec) != 0) throw new InvalidOperationException($"pipe2 failed: {Marshal.GetLastPInvokeError()}");
        var attr = Marshal.AllocHGlobal(1024);
        var actions = Marshal.AllocHGlobal(1024);
        var args = ToNative(argv);
        var env = ToNative(Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>().Select(e => $"{e.Key}={e.Value}").ToArray());
        try
        {
            posix_spawnattr_init(attr);
            posix_spawnattr_setflags(attr, SetSid);
            posix_spawn_file_actions_init(actions);
            posix_spawn_file_actions_addopen(actions, 0, "/dev/null", ReadOnly, 0);
            posix_spawn_file_actions_adddup2(actions, fds[1], 1);
            posix_spawn_file_actions_adddup2(actions, fds[1], 2);
            var error = posix_spawn(out var pid, argv[0], actions, attr, args, env);
            close(fds[1]);
            if (error != 0) throw new InvalidOperationException($"posix_spawn failed: {error}");
            using (var output = new FileStream(new SafeFileHandle(fds[0], ownsHandle: true), FileAccess.Read, 1))
                while (output.Read(buffer, 0, buffer.Length) > 0) { }
            if (waitpid(pid, out _, 0) != pid) throw new InvalidOperationException($"waitpid failed: {Marshal.GetLastPInvokeError()}");
        }
        finally
        {
            posix_spawn_file_actions_destroy(actions);
            posix_spawnattr_destroy(attr);
            Marshal.FreeHGlobal(attr);
            Marshal.FreeHGlobal(actions);
            Free(args);
            Free(env);
        }
    }

    private static IntPtr ToNative(string[] strings)
    {
        var array = Marshal.AllocHGlobal(IntPtr.Size * (strings.Length + 1));
        for (var i = 0; i < strings.Length; i++) Marshal.WriteIntPtr(array, i * IntPtr.Size, Marshal.StringToCoTaskMemUTF8(strings[i]));
        Marshal.WriteIntPtr(array, strings.Length * IntPtr.Size, IntPtr.Zero);
        return array;
    }

    private static void Free(IntPtr array)
    {
        for (var i = 0; Marshal.ReadIntPtr(array, i * IntPtr.Size) is var p && p != IntPtr.Zero; i++) Marshal.FreeCoTaskMem(p);
        Marshal.FreeHGlobal(array);
    }
}
