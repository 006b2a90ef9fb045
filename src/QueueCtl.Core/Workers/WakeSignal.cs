using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace QueueCtl.Core.Workers;

/// <summary>
/// How an idle worker learns of new work without polling: it listens on a loopback UDP port
/// (registered with the worker), and whoever enqueues sends it one byte after committing.
/// Datagrams carry no data that is trusted: a wake-up only makes the worker look at the queue.
/// </summary>
internal sealed class WakeSignal : IDisposable
{
    private readonly Channel<bool> _signals = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly UdpClient? _udp;
    private readonly CancellationTokenSource _stop = new();
    private int _external; // 1 once a datagram arrived, until TakeExternal

    public WakeSignal(bool listen)
    {
        if (!listen) return;
        try
        {
            _udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            Port = ((IPEndPoint)_udp.Client.LocalEndPoint!).Port;
            _ = ReceiveLoop();
        }
        catch (SocketException)
        {
            _udp = null; // no loopback networking: the worker falls back to its idle poll
        }
    }

    /// <summary>
    /// How long an enqueuer may go on using the list of worker ports it read. A worker that started
    /// within that time may not be on the list, so it polls quickly for that long after it starts.
    /// </summary>
    public static readonly TimeSpan PortListMaxAge = TimeSpan.FromSeconds(1);

    /// <summary>The loopback port to wake this worker on, if it listens.</summary>
    public int? Port { get; }

    public void Set() => _signals.Writer.TryWrite(true);

    /// <summary>
    /// True once after a datagram arrived: another process asked this worker to look (new work, a
    /// stop, a cancel). The worker's own wake-ups (a slot freed, a stop signal) do not count.
    /// </summary>
    public bool TakeExternal() => Interlocked.Exchange(ref _external, 0) == 1;

    /// <summary>Waits for a wake-up or the timeout. Returns true when woken.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancel)
    {
        if (_signals.Reader.TryRead(out _)) return true;
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timer.CancelAfter(timeout);
        try
        {
            await _signals.Reader.ReadAsync(timer.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task ReceiveLoop()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await _udp!.ReceiveAsync(_stop.Token).ConfigureAwait(false);
                Volatile.Write(ref _external, 1);
                Set();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _udp?.Dispose();
        _stop.Dispose();
    }

    private static readonly Lazy<Socket> Sender = new(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
    private static readonly byte[] Ping = [1];

    /// <summary>Wakes the workers listening on these loopback ports.</summary>
    public static void Notify(IEnumerable<int> ports)
    {
        foreach (var port in ports)
        {
            try { Sender.Value.SendTo(Ping, new IPEndPoint(IPAddress.Loopback, port)); }
            catch (SocketException) { /* that worker is gone; its row will be cleaned up */ }
        }
    }
}
