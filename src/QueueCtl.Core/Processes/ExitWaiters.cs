namespace QueueCtl.Core.Processes;

/// <summary>
/// Threads that block in waitpid for spawned children, kept and reused: starting a thread per
/// job cost about a tenth of the job start rate. A waiter idle for half a minute ends.
/// </summary>
internal static class ExitWaiters
{
    private static readonly object Gate = new();
    private static readonly List<Waiter> Idle = [];
    private static readonly TimeSpan IdleLifetime = TimeSpan.FromSeconds(30);

    /// <summary>Completes with the child's exit code (128 + n for signal n), or null if it was reaped elsewhere.</summary>
    public static Task<int?> WaitForExitAsync(int pid)
    {
        var exit = new TaskCompletionSource<int?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Waiter? waiter = null;
        lock (Gate)
        {
            if (Idle.Count > 0)
            {
                waiter = Idle[^1];
                Idle.RemoveAt(Idle.Count - 1);
            }
        }
        (waiter ?? new Waiter()).Give(pid, exit);
        return exit.Task;
    }

    private sealed class Waiter
    {
        private readonly SemaphoreSlim _work = new(0);
        private int _pid;
        private TaskCompletionSource<int?>? _exit;

        public Waiter() => new Thread(Loop, maxStackSize: 128 * 1024) { IsBackground = true, Name = "queuectl exit waiter" }.Start();

        public void Give(int pid, TaskCompletionSource<int?> exit)
        {
            _pid = pid;
            _exit = exit;
            _work.Release();
        }

        private void Loop()
        {
            while (true)
            {
                if (!_work.Wait(IdleLifetime))
                {
                    lock (Gate) if (Idle.Remove(this)) return;
                    continue; // taken for a job just as the wait timed out: its Release is on the way
                }
                var (pid, exit) = (_pid, _exit!);
                var code = PosixSpawn.WaitForExit(pid);
                lock (Gate) Idle.Add(this); // before the result, so the next job can reuse it
                exit.SetResult(code);
            }
        }
    }
}
