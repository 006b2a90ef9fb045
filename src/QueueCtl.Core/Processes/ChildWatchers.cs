using System.Diagnostics;

namespace QueueCtl.Core.Processes;

/// <summary>
/// Threads that each watch one spawned child, kept and reused. A watcher polls the child's output
/// pipe and its pidfd together: it copies output into the job's tail as it comes, and when the
/// child exits it takes the rest of the output, ends what the child left in its process group and
/// reaps it, all on the one thread. Then, with nothing left to watch, it puts itself back in the
/// pool and reports the end in line, so the worker's code that follows (recording the outcome,
/// starting the next job) runs on it at once and the next job's watch usually falls to the same
/// thread: no hand-over between threads on the path from one job to the next. (A separate pipe
/// reader, exit waiter and thread-pool hop cost about a third of the job rate.) Where the kernel
/// has no pidfds (before Linux 5.3) the watcher looks for the exit every 20 ms instead.
/// The one rule this asks of callers: code that runs after a job's end must not block waiting for
/// a job it starts (await it instead), as that job may be given to the very thread it blocks.
/// </summary>
internal static class ChildWatchers
{
    /// <summary>How long output is still read after the child has exited (background children may hold the pipe).</summary>
    public static readonly TimeSpan OutputGrace = TimeSpan.FromSeconds(2);
    private const int ExitCheckMs = 20;
    private static readonly TimeSpan IdleLifetime = TimeSpan.FromSeconds(30);
    private static readonly object Gate = new();
    private static readonly List<Watcher> Idle = [];

    /// <summary>Starts watching; the watch owns <paramref name="outputFd"/> and closes it.</summary>
    /// <param name="usePidFd">False watches the way kernels without pidfds make it (tests).</param>
    public static ChildWatch Watch(int pid, int outputFd, OutputTail tail, bool usePidFd = true)
    {
        var watch = new ChildWatch(pid, outputFd, tail, usePidFd);
        Watcher? watcher = null;
        lock (Gate)
        {
            if (Idle.Count > 0)
            {
                watcher = Idle[^1];
                Idle.RemoveAt(Idle.Count - 1);
            }
        }
        (watcher ?? new Watcher()).Give(watch);
        return watch;
    }

    private sealed class Watcher
    {
        private readonly object _gate = new();
        private readonly byte[] _buffer = new byte[65_536];
        private ChildWatch? _next;

        // The worker's code runs on watchers (see above): give them an ordinary thread's stack.
        public Watcher() => new Thread(Loop, maxStackSize: 1024 * 1024) { IsBackground = true, Name = "queuectl job watcher" }.Start();

        public void Give(ChildWatch watch)
        {
            lock (_gate)
            {
                _next = watch;
                Monitor.Pulse(_gate);
            }
        }

        private void Loop()
        {
            while (true)
            {
                ChildWatch watch;
                lock (_gate)
                {
                    // Monitor.Wait blocks without spinning: idle watchers cost no CPU.
                    while (_next is null)
                    {
                        if (Monitor.Wait(_gate, IdleLifetime) || _next is not null) continue;
                        lock (Gate) if (Idle.Remove(this)) return;
                        // Taken for a job just as the wait ran out: its Give is on the way.
                    }
                    watch = _next;
                    _next = null;
                }
                var exitCode = Run(watch);
                lock (Gate) Idle.Add(this);
                // In line, last: the code waiting on this runs here, and may hand this watcher its next child.
                watch.EndOutput();
                watch.Exit(exitCode);
            }
        }

        /// <summary>Watches the child until it has exited and its output ended (or was given up on); its exit code.</summary>
        private int? Run(ChildWatch watch)
        {
            var pidFd = watch.UsePidFd ? PosixSpawn.OpenPidFd(watch.Pid) : -1;
            var exited = false;
            var outputEnded = false;
            long exitedAt = 0;
            int? exitCode = null;
            try
            {
                Span<PosixSpawn.PollFd> fds = stackalloc PosixSpawn.PollFd[2];
                while (!outputEnded || !exited)
                {
                    var count = 0;
                    if (!outputEnded) fds[count++] = new PosixSpawn.PollFd { Fd = watch.OutputFd, Events = PosixSpawn.PollIn };
                    var pidIndex = -1;
                    if (!exited && pidFd >= 0)
                    {
                        pidIndex = count;
                        fds[count++] = new PosixSpawn.PollFd { Fd = pidFd, Events = PosixSpawn.PollIn };
                    }
                    var timeout = exited ? (int)(OutputGrace - Stopwatch.GetElapsedTime(exitedAt)).TotalMilliseconds
                        : pidFd >= 0 ? -1 : ExitCheckMs;
                    if (exited && timeout <= 0) break; // something in the background still holds the pipe
                    PosixSpawn.Poll(fds[..count], timeout);

                    if (!outputEnded && fds[0].Returned != 0) outputEnded = !ReadOnce(watch);
                    if (!exited && (pidIndex < 0 ? PosixSpawn.HasExited(watch.Pid) : fds[pidIndex].Returned != 0))
                    {
                        // The child is a zombie: its output is all written, and its pid (and so its
                        // process group id) cannot be reused until it is reaped.
                        if (!outputEnded) outputEnded = !DrainAvailable(watch);
                        ProcessTools.SignalGroup(watch.Pid, ProcessTools.SigKill); // what it left behind
                        exitCode = PosixSpawn.WaitForExit(watch.Pid); // a zombie: returns at once
                        exited = true;
                        exitedAt = Stopwatch.GetTimestamp();
                        // Something in the background still holds the pipe: report the exit now (on
                        // the thread pool, as this watcher keeps reading), the output when it ends.
                        if (!outputEnded) ThreadPool.UnsafeQueueUserWorkItem(static w => w.Watch.Exit(w.Code), (Watch: watch, Code: exitCode), preferLocal: false);
                    }
                }
            }
            catch (Exception)
            {
                // poll or read failed: wait for the exit the plain way, report what was read.
                if (!exited) exitCode = PosixSpawn.WaitForExit(watch.Pid);
            }
            finally
            {
                if (pidFd >= 0) PosixSpawn.Close(pidFd);
                PosixSpawn.Close(watch.OutputFd);
            }
            return exitCode;
        }

        /// <summary>Reads once; false when the output has ended (or the pipe failed).</summary>
        private bool ReadOnce(ChildWatch watch)
        {
            var read = PosixSpawn.Read(watch.OutputFd, _buffer);
            if (read <= 0) return false;
            watch.Tail.Append(_buffer.AsSpan(0, read));
            return true;
        }

        /// <summary>Reads whatever is waiting in the pipe without blocking; false when the output has ended.</summary>
        private bool DrainAvailable(ChildWatch watch)
        {
            Span<PosixSpawn.PollFd> fd = [new PosixSpawn.PollFd { Fd = watch.OutputFd, Events = PosixSpawn.PollIn }];
            while (true)
            {
                fd[0].Returned = 0;
                PosixSpawn.Poll(fd, 0);
                if (fd[0].Returned == 0) return true;
                if (!ReadOnce(watch)) return false;
            }
        }
    }
}

/// <summary>One spawned child as its watcher sees it: what it reports, and when.</summary>
internal sealed class ChildWatch(int pid, int outputFd, OutputTail tail, bool usePidFd)
{
    // Continuations run in line, on the watcher (see ChildWatchers).
    private readonly TaskCompletionSource<int?> _exited = new();
    private readonly TaskCompletionSource _outputEnded = new();

    public int Pid { get; } = pid;
    public int OutputFd { get; } = outputFd;
    public OutputTail Tail { get; } = tail;
    public bool UsePidFd { get; } = usePidFd;

    /// <summary>The exit code once the child has exited and been reaped (null if something else reaped it).</summary>
    public Task<int?> Exited => _exited.Task;

    /// <summary>Completes when the output has ended, or the watcher stopped waiting for it.</summary>
    public Task OutputEnded => _outputEnded.Task;

    public void Exit(int? exitCode) => _exited.TrySetResult(exitCode);
    public void EndOutput() => _outputEnded.TrySetResult();
}
