using System.Collections;
using System.Runtime.ExceptionServices;
using QueueCtl.Core.Errors;

namespace QueueCtl.Core.Jobs;

/// <summary>
/// A batch's specs read and checked in order: the jobs a batch will write. A large batch, or a
/// sequence that makes its specs as it is read (a file being parsed), is read and checked on a
/// thread of its own while the store writes the jobs already checked, so that on two cores the
/// reading and the checks take no time of their own (checks alone: about a fifth of a
/// 100,000-job batch when done first). Enumerating waits for jobs not checked yet. A refused
/// spec, or an exception thrown by the sequence itself, ends the batch: enumerating up to it
/// throws that error (a refused spec's with its position in <see cref="QueueException.ItemIndex"/>).
/// Disposing stops the reading and waits for its thread.
/// </summary>
internal sealed class BatchValidation : IEnumerable<JobSpecValidator.ValidJob>, IDisposable
{
    /// <summary>Lists of specs smaller than this are checked before anything is written, on the caller's thread.</summary>
    internal const int InBackgroundFrom = 4096;

    // How many jobs the checking thread checks between telling the writer about them.
    private const int PublishEvery = 256;

    // Checked jobs are kept in chunks, so that a batch of unknown length grows without copying
    // what the writer may be reading. A batch checked in the background (large, or of unknown
    // length) has chunks of 4,096 jobs (about 360 KB): arrays that large sit on the large object
    // heap, where collections during the batch do not copy them. A batch checked at once has chunks
    // of 512 (about 45 KB), below the 85,000 bytes from which an array goes there: as a large object
    // each, the cmdlet's batches of 1,000 were 5-10% slower.
    internal const int LargeChunkBits = 12;
    internal const int SmallChunkBits = 9;
    private readonly int _chunkBits;
    private int ChunkSize => 1 << _chunkBits;

    private readonly IEnumerable<JobSpec> _specs;
    private readonly DateTimeOffset _now;
    private readonly object _gate = new();
    private readonly Thread? _thread;
    private JobSpecValidator.ValidJob[][] _chunks = new JobSpecValidator.ValidJob[4][]; // replaced whole as it grows
    private int _checked;          // jobs [0, _checked) are checked and readable
    private bool _ended;           // the sequence ended, or _failure says why it stopped
    private Exception? _failure;   // why the job at _checked is not (a refused spec, or the sequence's own error)
    private volatile bool _abandoned;

    private BatchValidation(IEnumerable<JobSpec> specs, DateTimeOffset now, bool inBackground)
    {
        _specs = specs;
        _now = now;
        _chunkBits = inBackground ? LargeChunkBits : SmallChunkBits;
        // A small list's jobs fit an array of its own size (a single job is a common batch).
        if (specs is IReadOnlyCollection<JobSpec> { Count: > 0 } few && few.Count < ChunkSize) _chunks[0] = new JobSpecValidator.ValidJob[few.Count];
        if (!inBackground)
        {
            CheckAll();
            if (_failure is not null) throw Rethrown(_failure);
            return;
        }
        _thread = new Thread(CheckAll) { IsBackground = true, Name = "queuectl batch checks" };
        _thread.Start();
    }

    /// <summary>
    /// Checks a list of <paramref name="specs"/> as of <paramref name="now"/>: a small one (or any,
    /// on one core) at once, throwing the first refusal; a large one in the background.
    /// </summary>
    public static BatchValidation Start(IReadOnlyList<JobSpec> specs, DateTimeOffset now) =>
        new(specs, now, inBackground: specs.Count >= InBackgroundFrom && Environment.ProcessorCount > 1);

    /// <summary>
    /// Reads and checks <paramref name="specs"/> in the background (at once on one core), however
    /// many there turn out to be: the sequence is read on another thread than the caller's.
    /// </summary>
    public static BatchValidation StartReading(IEnumerable<JobSpec> specs, DateTimeOffset now) =>
        new(specs, now, inBackground: Environment.ProcessorCount > 1);

    /// <summary>Waits for every check; throws the error that ended the batch early, if one did.</summary>
    public void ThrowIfRefused()
    {
        lock (_gate)
        {
            while (!_ended) Monitor.Wait(_gate);
            if (_failure is not null) throw Rethrown(_failure);
        }
    }

    public IEnumerator<JobSpecValidator.ValidJob> GetEnumerator()
    {
        for (var i = 0; ; i++)
        {
            if (i >= Volatile.Read(ref _checked) && !WaitFor(i)) yield break;
            yield return Volatile.Read(ref _chunks)[i >> _chunkBits][i & (ChunkSize - 1)];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Waits until job <paramref name="index"/> is checked (true) or the batch ended before it (false, or its error).</summary>
    private bool WaitFor(int index)
    {
        lock (_gate)
        {
            while (index >= _checked && !_ended) Monitor.Wait(_gate);
            if (index < _checked) return true;
            if (_failure is not null) throw Rethrown(_failure);
            return false;
        }
    }

    // Thrown again where it is read, with the stack of where it was thrown first.
    private static Exception Rethrown(Exception e)
    {
        ExceptionDispatchInfo.Throw(e);
        return e;
    }

    private void CheckAll()
    {
        var i = 0;
        var reading = true; // an error while reading is the sequence's own; while checking, the spec's
        try
        {
            using var specs = _specs.GetEnumerator();
            while (!_abandoned && specs.MoveNext())
            {
                reading = false;
                Keep(i, JobSpecValidator.Validate(specs.Current, _now));
                reading = true;
                i++;
                if (i % PublishEvery == 0) Publish(i, ended: false, null);
            }
            Publish(i, ended: true, null);
        }
        catch (Exception e)
        {
            if (!reading && e is QueueException refused) refused.ItemIndex = i;
            Publish(i, ended: true, e);
        }
    }

    /// <summary>Keeps a checked job; only the checking thread calls it, before publishing the job.</summary>
    private void Keep(int index, JobSpecValidator.ValidJob job)
    {
        var chunk = index >> _chunkBits;
        var chunks = _chunks;
        if (chunk == chunks.Length)
        {
            Array.Resize(ref chunks, chunks.Length * 2);
            Volatile.Write(ref _chunks, chunks);
        }
        (chunks[chunk] ??= new JobSpecValidator.ValidJob[ChunkSize])[index & (ChunkSize - 1)] = job;
    }

    private void Publish(int count, bool ended, Exception? failure)
    {
        lock (_gate)
        {
            _checked = count;
            _ended = ended;
            _failure = failure;
            Monitor.PulseAll(_gate);
        }
    }

    public void Dispose()
    {
        _abandoned = true;
        _thread?.Join();
    }
}
