using System.Text;

namespace QueueCtl.Core.Processes;

/// <summary>Keeps the last <c>limit</c> bytes of a process's stdout and stderr, interleaved as they arrive.</summary>
internal sealed class OutputTail
{
    private const int FirstSize = 4096;
    private readonly int _limit;
    private readonly object _gate = new();
    // Grows up to the limit as output arrives (most jobs print little or nothing); it wraps
    // around only once it has reached the limit.
    private byte[] _ring = [];
    private long _written;

    public OutputTail(int limit) => _limit = Math.Max(0, limit);

    public long TotalBytes { get { lock (_gate) return _written; } }

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_limit == 0) { lock (_gate) _written += data.Length; return; }
        lock (_gate)
        {
            if (_written + data.Length > _ring.Length && _ring.Length < _limit) Grow(_written + data.Length);
            // Count every byte, kept or not: Text() relies on _written to know that the start was cut.
            var total = data.Length;
            if (data.Length >= _ring.Length) data = data[^_ring.Length..];
            var start = (int)((_written + total - data.Length) % _ring.Length);
            var first = Math.Min(data.Length, _ring.Length - start);
            data[..first].CopyTo(_ring.AsSpan(start));
            data[first..].CopyTo(_ring);
            _written += total;
        }
    }

    // Only called before the ring has wrapped: its bytes sit at offsets 0.._written.
    private void Grow(long needed)
    {
        var size = (int)Math.Min(_limit, Math.Max(needed, Math.Max(FirstSize, 2L * _ring.Length)));
        var bigger = new byte[size];
        _ring.AsSpan(0, (int)_written).CopyTo(bigger);
        _ring = bigger;
    }

    /// <summary>Copies a stream into the tail until it ends (or fails because the process went away).</summary>
    public async Task PumpAsync(Stream stream)
    {
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0) Append(buffer.AsSpan(0, read));
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The pipe was closed under us: what arrived is what there is.
        }
    }

    /// <summary>The kept bytes as text; a character cut in half at the start is dropped.</summary>
    public string? Text()
    {
        lock (_gate)
        {
            if (_written == 0 || _limit == 0) return _written == 0 ? null : "";
            var length = (int)Math.Min(_written, _ring.Length);
            var bytes = new byte[length];
            var start = _written > _ring.Length ? (int)(_written % _ring.Length) : 0;
            var first = Math.Min(length, _ring.Length - start);
            Array.Copy(_ring, start, bytes, 0, first);
            Array.Copy(_ring, 0, bytes, first, length - first);
            var skip = 0;
            if (_written > _ring.Length) while (skip < bytes.Length && skip < 3 && (bytes[skip] & 0xC0) == 0x80) skip++;
            return Encoding.UTF8.GetString(bytes, skip, bytes.Length - skip);
        }
    }
}
