using System.Runtime.InteropServices;

namespace QueueCtl.Cli.Hosting;

/// <summary>
/// SIGINT (Ctrl+C) and SIGTERM for foreground workers: the first asks for a graceful stop
/// (claim nothing new, let running jobs finish within shutdown_grace, then hand them back);
/// the second asks for an immediate one (end running jobs now and hand them back).
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _count;

    public StopSignals()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            try { _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal)); }
            catch (PlatformNotSupportedException) { /* SIGTERM on some platforms */ }
        }
    }

    public CancellationTokenSource Graceful { get; } = new();
    public CancellationTokenSource Immediate { get; } = new();

    /// <summary>Raised with 1 for the first signal, 2 and more for later ones (on a thread-pool thread).</summary>
    public event Action<int>? Received;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // we stop ourselves, in order
        var count = Interlocked.Increment(ref _count);
        if (count == 1)
        {
            Console.Error.WriteLine($"queuectl: {context.Signal} received: stopping gracefully (running jobs may finish within shutdown_grace). Send it again to stop at once.");
            Graceful.Cancel();
        }
        else
        {
            Console.Error.WriteLine($"queuectl: {context.Signal} received again: ending running jobs now and handing them back.");
            Immediate.Cancel();
        }
        try { Received?.Invoke(count); } catch (Exception e) when (e is not OutOfMemoryException) { }
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        Graceful.Dispose();
        Immediate.Dispose();
    }
}
