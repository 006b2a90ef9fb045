using System.Collections;
using System.Runtime.ExceptionServices;
using QueueCtl.Core.Errors;

namespace QueueCtl.Core.Jobs;

/// <summary>
/// A batch's specs checked in order, readable by position: the jobs a batch will write. A large
/// batch is checked on a thread of its own while the store writes the jobs already checked, so
/// that on two cores its checks take no time of their own (about a fifth of a 100,000-job batch
/// when done first). Reading a job that is not checked yet waits for it; reading a refused one,
/// or any after it, throws that spec's error, with its position in <see cref="QueueException.ItemIndex"/>.
/// Disposing stops the checks and waits for their thread.
/// </summary>
internal sealed class BatchValidation : IReadOnlyList<JobSpecValidator.ValidJob>, IDisposable
{
    /// <summary>Batches smaller than this are checked before anything is written, on the caller's thread.</summary>
    internal const int InBackgroundFrom = 4096;

    // How many jobs the checking thread checks between telling the writer about them.
    private const int PublishEvery = 256;

    private readonly IReadOnlyList<JobSpec> _specs;
    private readonly DateTimeOffset _now;
    private readonly JobSpecValidator.ValidJob[] _jobs;
    private readonly object _gate = new();
    private readonly Thread? _thread;
    private int _checked;          // jobs [0, _checked) are checked and readable
    private Exception? _failure;   // why the job at _checked is not (a refused spec's QueueException)
    private volatile bool _abandoned;

    private BatchValidation(IReadOnlyList<JobSpec> specs, DateTimeOffset now, bool inBackground)
    {
        _specs = specs;
        _now = now;
        _jobs = new JobSpecValidator.ValidJob[specs.Count];
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
    /// Checks <paramref name="specs"/> as of <paramref name="now"/>: a small batch (or any batch on
    /// one core) at once, throwing the first refusal; a large one in the background.
    /// </summary>
    public static BatchValidation Start(IReadOnlyList<JobSpec> specs, DateTimeOffset now) =>
        new(specs, now, inBackground: specs.Count >= InBackgroundFrom && Environment.ProcessorCount > 1);

    public int Count => _jobs.Length;

    public JobSpecValidator.ValidJob this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_jobs.Length) throw new ArgumentOutOfRangeException(nameof(index));
            return index < Volatile.Read(ref _checked) ? _jobs[index] : Wait(index);
        }
    }

    /// <summary>Waits for every check; throws the refusal of the first refused spec, if one was.</summary>
    public void ThrowIfRefused()
    {
        if (_jobs.Length > 0) _ = this[_jobs.Length - 1];
    }

    private JobSpecValidator.ValidJob Wait(int index)
    {
        lock (_gate)
        {
            while (index >= _checked && _failure is null) Monitor.Wait(_gate);
            if (index < _checked) return _jobs[index];
            throw Rethrown(_failure!);
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
        try
        {
            for (; i < _jobs.Length; i++)
            {
                if (_abandoned) return;
                _jobs[i] = JobSpecValidator.Validate(_specs[i], _now);
                if ((i + 1) % PublishEvery == 0) Publish(i + 1, null);
            }
            Publish(i, null);
        }
        catch (Exception e)
        {
            if (e is QueueException refused) refused.ItemIndex = i;
            Publish(i, e);
        }
    }

    private void Publish(int count, Exception? failure)
    {
        lock (_gate)
        {
            _checked = count;
            _failure = failure;
            Monitor.PulseAll(_gate);
        }
    }

    public IEnumerator<JobSpecValidator.ValidJob> GetEnumerator()
    {
        for (var i = 0; i < _jobs.Length; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        _abandoned = true;
        _thread?.Join();
    }
}
