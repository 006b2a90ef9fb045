using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using QueueCtl.Core.Processes;

namespace QueueCtl.Bench;

/// <summary>A child process whose stdout lines are collected as they arrive.</summary>
internal sealed class Child : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _stopped = new(0);
    private readonly SemaphoreSlim _registered = new(0);
    private readonly Task _reader;

    public Child(ProcessStartInfo info)
    {
        _process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {info.FileName}");
        _reader = Task.Run(ReadLines);
        _ = Task.Run(async () => { Stderr = await _process.StandardError.ReadToEndAsync().ConfigureAwait(false); });
    }

    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public string Stderr { get; private set; } = "";
    public Task Ready => _ready.Task;
    /// <summary>Called for each "start ID TICKS" line.</summary>
    public Action<string, long>? OnStart { get; set; }
    public ConcurrentQueue<string> Lines { get; } = new();
    /// <summary>From the last "stopped COUNT TICKS": jobs the child's worker completed, and when the last one did (Stopwatch ticks).</summary>
    public (long Completed, long LastCompletedAt)? LastRun { get; private set; }

    private async Task ReadLines()
    {
        while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (line == "ready") { _ready.TrySetResult(); continue; }
            if (line.StartsWith("stopped", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                LastRun = parts.Length == 3 ? (long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture)) : null;
                _stopped.Release();
                continue;
            }
            if (line == "registered") { _registered.Release(); continue; }
            if (line.StartsWith("start ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                OnStart?.Invoke(parts[1], long.Parse(parts[2], CultureInfo.InvariantCulture));
                continue;
            }
            Lines.Enqueue(line);
        }
        _ready.TrySetException(new InvalidOperationException($"the child exited before it was ready: {Stderr}"));
    }

    public void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>Waits for the child's next "registered" line (a worker held after "open"); false if none came in time.</summary>
    public Task<bool> RegisteredAsync(TimeSpan timeout) => _registered.WaitAsync(timeout);

    /// <summary>Waits for the child's next "stopped" line; false if none came in time.</summary>
    public Task<bool> StoppedAsync(TimeSpan timeout) => _stopped.WaitAsync(timeout);

    /// <summary>Asks for a graceful stop (SIGTERM), as a service manager would.</summary>
    public void Terminate() => ProcessTools.Signal(_process.Id, ProcessTools.SigTerm);

    public async Task<bool> WaitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cancel.Token).ConfigureAwait(false); await _reader.ConfigureAwait(false); return true; }
        catch (OperationCanceledException) { return false; }
    }

    /// <summary>CPU time (user + system) used so far, from /proc (Linux).</summary>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux
    }

    /// <summary>Resident memory now (VmRSS) or at its peak (VmHWM), in MiB.</summary>
    public double MemoryMiB(string field = "VmRSS")
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        return double.NaN;
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
