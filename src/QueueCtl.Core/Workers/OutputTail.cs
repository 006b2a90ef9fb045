using System.Text;

namespace QueueCtl.Core.Workers;

/// <summary>Keeps the last <c>limit</c> bytes of a process's stdout and stderr, interleaved as they arrive.</summary>
internal sealed class OutputTail
{
    private readonly byte[] _ring;
    private readonly object _gate = new();
    private long _written;

    public OutputTail(int limit) => _ring = new byte[Math.Max(0, limit)];

    public long TotalBytes { get { lock (_gate) return _written; } }

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_ring.Length == 0) { lock (_gate) _written += data.Length; return; }
        lock (_gate)
        {
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
            if (_written == 0 || _ring.Length == 0) return _written == 0 ? null : "";
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
