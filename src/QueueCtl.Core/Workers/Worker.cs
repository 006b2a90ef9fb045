using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using QueueCtl.Core.Config;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Processes;
using QueueCtl.Core.Storage;
using QueueCtl.Core.Time;

namespace QueueCtl.Core.Workers;

/// <summary>
/// A worker: registers itself, claims due jobs into its slots, runs them through an executor,
/// records outcomes under the lease token, heartbeats (renewing its leases and recovering the
/// jobs of dead workers), and stops gracefully or at once on request.
/// </summary>
public sealed class Worker
{
    private readonly string _databasePath;
    private readonly WorkerOptions _options;
    private readonly IJobExecutor _executor;
    // Every time the worker and its store read goes through this clock, so that a wall-clock jump
    // is seen once, the database shifted to match, and only then followed (see CheckClock).
    private readonly JumpAwareClock _clock;
    private readonly object _clockGate = new();
    private readonly ConcurrentDictionary<string, RunningJob> _running = new(StringComparer.Ordinal);
    private readonly object _logGate = new();
    private StreamWriter? _log;
    private int _stopRequest;
    // Claimed jobs wait here for a free slot. Outcomes wait in _outcomes until a slot that has run
    // out of claimed jobs, or else the recorder, writes them (many in one transaction) and only
    // then reports them (see SlotLoop).
    private Channel<RunningJob> _ready = Channel.CreateUnbounded<RunningJob>();
    private Channel<Outcome> _outcomes = Channel.CreateUnbounded<Outcome>();
    // Claims from the claim loop and from slots take turns, so that together they never hold more
    // than the slots plus the prefetch; one slot at a time writes outcomes and claims (1 = busy).
    private readonly object _claimGate = new();
    // Set (under _claimGate) when the slots' channel is closed: no job may be claimed after that.
    private bool _claimsClosed;
    private int _refilling;
    // Started commands' process groups, recorded off the slots' path (see RecordProcessesLoop).
    private Channel<(RunningJob Job, int Pid)> _started = Channel.CreateUnbounded<(RunningJob, int)>();
    // Moving average of how long the executor takes per job (Stopwatch ticks); -1 until a job has run.
    private long _averageRunTicks = -1;
    // When the worker registered (Stopwatch ticks).
    private long _startedAt;

    /// <summary>How long the claim loop waits after the database was busy or full before it tries again.</summary>
    private static readonly TimeSpan BusyBackoff = TimeSpan.FromSeconds(1);
    /// <summary>The most outcomes written in one transaction.</summary>
    internal const int MaxRecordBatch = 1024;
    /// <summary>The most jobs claimed beyond the free slots (when jobs are tiny).</summary>
    internal const int MaxPrefetch = 256;
    /// <summary>How long a prefetched job may wait, on average, for a slot: it bounds the prefetch.</summary>
    internal static readonly TimeSpan PrefetchBudget = TimeSpan.FromMilliseconds(20);
    /// <summary>
    /// How long the recorder lets started process groups gather before it writes them: short jobs
    /// then share a commit instead of paying one each (and a group whose command has ended by then
    /// is not written at all). Only on Linux, where recovery also finds an unrecorded group by its
    /// environment; elsewhere the recorded group is all recovery has, so it is written at once.
    /// </summary>
    internal static readonly TimeSpan ProcessRecordWindow = OperatingSystem.IsLinux() ? TimeSpan.FromMilliseconds(100) : TimeSpan.Zero;
    /// <summary>
    /// The longest an outcome waits for a slot to write it before the recorder does (a slot writes
    /// outcomes when it runs out of claimed jobs, which for jobs of milliseconds is every prefetch
    /// budget or so; a slot busy with a long job writes none). Longer than that refill, so that
    /// the recorder rarely takes a batch from under a slot.
    /// </summary>
    internal static readonly TimeSpan OutcomeBackstop = TimeSpan.FromMilliseconds(50);
    /// <summary>Jobs whose claimed batch runs out faster than this are tiny (see <see cref="JobsAreTiny"/>).</summary>
    internal static readonly TimeSpan TinyBatchSpan = TimeSpan.FromMilliseconds(20);

    /// <param name="clock">
    /// The wall clock (the system's by default). It must advance with real time: a reading that
    /// moves more than 2 s away from the machine's steady clock is taken for a wall-clock jump,
    /// and the queue's relative waits are shifted to match it.
    /// </param>
    public Worker(string databasePath, WorkerOptions? options = null, IJobExecutor? executor = null, IClock? clock = null)
    {
        _databasePath = databasePath;
        _options = options ?? new WorkerOptions();
        _executor = executor ?? ShellExecutor.Instance;
        _clock = new JumpAwareClock(clock ?? SystemClock.Instance);
        if (_options.Slots is < 1 or > WorkerOptions.MaxSlots)
            throw QueueException.Invalid("InvalidConcurrency", $"A worker runs 1 to {WorkerOptions.MaxSlots} jobs at once; {_options.Slots} was asked.", _options.Slots);
        foreach (var queue in _options.Queues) JobSpecValidator.ValidateQueue(queue);
        Id = _options.WorkerId is { } id ? JobId.Validate(id) : NewWorkerId();
    }

    public string Id { get; }
    public static string Host => System.Environment.MachineName;

    /// <summary>Raised for each thing the worker does, from whichever thread did it.</summary>
    public event Action<WorkerEvent>? EventRaised;

    public static string NewWorkerId() => $"w-{Host.ToLowerInvariant().Where(c => char.IsAsciiLetterOrDigit(c) || c == '-').Take(20).Aggregate("", (s, c) => s + c)}-{JobId.New(DateTimeOffset.UtcNow)[^8..].ToLowerInvariant()}";

    private StopRequest StopLevel => (StopRequest)Volatile.Read(ref _stopRequest);

    private void RaiseStop(StopRequest level)
    {
        int current;
        while ((current = Volatile.Read(ref _stopRequest)) < (int)level)
            if (Interlocked.CompareExchange(ref _stopRequest, (int)level, current) == current) break;
        if (level == StopRequest.Immediate)
            foreach (var job in _running.Values) job.End(AttemptOutcome.HandedBack);
    }

    /// <summary>Runs until asked to stop (or, with Drain, until nothing is due).</summary>
    /// <param name="stop">Graceful stop: no new claims, running jobs get shutdown_grace to finish.</param>
    /// <param name="stopNow">Immediate stop: running jobs are ended and handed back.</param>
    public async Task RunAsync(CancellationToken stop = default, CancellationToken stopNow = default)
    {
        if (_options.LogPath is { } logPath)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logPath))!);
            _log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        }
        try
        {
            using var store = SqliteQueueStore.Open(_databasePath, _clock, _options.Store);
            using var wake = new WakeSignal(listen: true);
            _startedAt = Stopwatch.GetTimestamp();
            store.RegisterWorker(new QueueWorker
            {
                Id = Id, Host = Host, ProcessId = ProcessTools.CurrentPid, Queues = _options.Queues,
                Slots = _options.Slots, LogPath = _options.LogPath,
            }, ProcessTools.CurrentStartMarker, wake.Port);
            Emit(WorkerEventKind.Started, null, null,
                $"pid {ProcessTools.CurrentPid}, {_options.Slots} slot(s), queues {(_options.Queues.Count == 0 ? "*" : string.Join(",", _options.Queues))}, database {store.Path}");

            using var registrations = new CompositeDisposable(
                stop.Register(wake.Set),
                stopNow.Register(() => { RaiseStop(StopRequest.Immediate); wake.Set(); }));
            using var heartbeatStop = new CancellationTokenSource();
            var config = store.GetConfig();
            Recover(store, config);
            _ready = Channel.CreateUnbounded<RunningJob>();
            _claimsClosed = false;
            _outcomes = Channel.CreateUnbounded<Outcome>();
            _started = Channel.CreateUnbounded<(RunningJob, int)>(new UnboundedChannelOptions { SingleReader = true });
            var slots = Enumerable.Range(0, _options.Slots).Select(_ => Task.Run(() => SlotLoop(store, wake, stop))).ToArray();
            var recorder = Task.Run(() => RecordLoop(store, wake));
            var processRecorder = Task.Run(() => RecordProcessesLoop(store));
            var heartbeat = Task.Run(() => HeartbeatLoop(store, wake, config.LeaseSeconds, heartbeatStop.Token));
            try
            {
                await ClaimLoop(store, wake, stop).ConfigureAwait(false);
            }
            finally
            {
                await ShutDown(store, wake, stop, stopNow).ConfigureAwait(false);
                CloseClaims();
                await Task.WhenAll(slots).ConfigureAwait(false);
                _started.Writer.TryComplete();
                await processRecorder.ConfigureAwait(false);
                _outcomes.Writer.TryComplete();
                await recorder.ConfigureAwait(false);
                heartbeatStop.Cancel();
                await heartbeat.ConfigureAwait(false);
                TryWrite(() => store.SetWorkerState(Id, WorkerState.Stopped));
                Emit(WorkerEventKind.Stopped, null, null, "stopped");
            }
        }
        finally
        {
            lock (_logGate) { _log?.Dispose(); _log = null; }
        }
    }

    private async Task ClaimLoop(SqliteQueueStore store, WakeSignal wake, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested && StopLevel == StopRequest.None)
        {
            CheckClock(store);
            int want, claimed;
            try { (want, claimed) = ClaimMore(store, store.GetConfig()); }
            catch (QueueException e) when (e.Kind is QueueErrorKind.Busy or QueueErrorKind.Full)
            {
                Emit(WorkerEventKind.Warning, null, null, e.Message);
                await wake.WaitAsync(BusyBackoff, stop).ConfigureAwait(false);
                continue;
            }
            if (_options.Drain && claimed == 0 && _running.IsEmpty) return;
            if (want > 0 && claimed == want) continue; // the queue may hold more

            var wait = _options.IdlePoll;
            // Enqueuers whose worker list predates this worker cannot wake it yet: look often until
            // every such list has been read again.
            if (Stopwatch.GetElapsedTime(_startedAt) < WakeSignal.PortListMaxAge * 2)
                wait = TimeSpan.FromMilliseconds(50);
            if (_running.Count < _options.Slots + Prefetch() && store.NextDueAt(_options.Queues) is { } due)
                wait = TimeSpan.FromTicks(Math.Clamp((due - _clock.UtcNow).Ticks, 0, wait.Ticks));
            // Stop and cancel requests come with a wake-up from their process; the worker's own
            // wake-ups (after each batch of outcomes) need no read.
            if (await wake.WaitAsync(wait, stop).ConfigureAwait(false) && wake.TakeExternal())
                Apply(store.ReadControl(Id));
        }
    }

    /// <summary>
    /// Claims as many due jobs as the slots and the prefetch have room for, and hands them to the
    /// slots. Held jobs (waiting for a slot, running, or waiting for their outcome to be written)
    /// count against that room. Returns how many it wanted and how many it got.
    /// </summary>
    private (int Want, int Claimed) ClaimMore(SqliteQueueStore store, QueueConfig config)
    {
        lock (_claimGate)
        {
            if (_claimsClosed) return (0, 0);
            var want = _options.Slots + Prefetch() - _running.Count;
            if (want <= 0) return (want, 0);
            var jobs = store.Claim(Id, _options.Queues, want, config);
            foreach (var job in jobs)
            {
                var running = new RunningJob(job, config);
                _running[job.Id] = running;
                _ready.Writer.TryWrite(running);
            }
            return (want, jobs.Count);
        }
    }

    /// <summary>
    /// Closes the slots' channel, and claiming with it. A slot that has just written its outcomes
    /// claims again on its own thread; with --once the claim loop may already have found nothing
    /// due and ended by then. A job claimed after the channel closed would reach no slot and stay
    /// in processing until its lease ran out, so the two happen under the claims' lock.
    /// </summary>
    private void CloseClaims()
    {
        lock (_claimGate)
        {
            _claimsClosed = true;
            _ready.Writer.TryComplete();
        }
    }

    /// <summary>
    /// How many jobs to hold beyond the slots: none until jobs are seen to be short, then as many
    /// as the slots get through in <see cref="PrefetchBudget"/> (at most <see cref="MaxPrefetch"/>).
    /// Prefetched jobs are claimed (leased, renewed by the heartbeat) like running ones.
    /// </summary>
    private int Prefetch()
    {
        var average = Interlocked.Read(ref _averageRunTicks);
        if (average < 0) return 0;
        var perSlot = PrefetchBudget.TotalSeconds * Stopwatch.Frequency / Math.Max(1, average);
        return (int)Math.Min(MaxPrefetch, Math.Floor(perSlot * _options.Slots));
    }

    /// <summary>
    /// One slot: runs claimed jobs one after another until the worker stops. A slot that finds no
    /// claimed job left after a job's end writes the outcomes waiting so far and claims the next
    /// jobs itself, on its own thread, before it waits: the next job then starts at once instead
    /// of after a hand-over to the recorder, the claim loop and back (a wait that cost ~14 ms
    /// between jobs at concurrency 1), and while a job runs no other thread works beside it on the
    /// same cores. Tiny jobs keep that work off the slots (see <see cref="JobsAreTiny"/>).
    /// </summary>
    private async Task SlotLoop(SqliteQueueStore store, WakeSignal wake, CancellationToken stop)
    {
        var reader = _ready.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var running))
            {
                AttemptResult result;
                if (running.TryStart())
                {
                    var started = Stopwatch.GetTimestamp();
                    result = await RunJob(running, store).ConfigureAwait(false);
                    var took = Stopwatch.GetTimestamp() - started;
                    var average = Interlocked.Read(ref _averageRunTicks);
                    Interlocked.Exchange(ref _averageRunTicks, average < 0 ? took : average + (took - average) / 8);
                }
                else
                {
                    // Ended before it started (stop, cancel): it never ran.
                    result = running.EndReason == AttemptOutcome.Cancelled
                        ? new AttemptResult(AttemptOutcome.Cancelled, null, "cancelled by user", null)
                        : new AttemptResult(AttemptOutcome.HandedBack, null, null, null);
                }
                running.Ended = true;
                _outcomes.Writer.TryWrite(new Outcome(running, result, Stopwatch.GetTimestamp()));
                if (!reader.TryPeek(out _) && !JobsAreTiny()) await RefillAsync(store, wake, stop).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// A slot's own bookkeeping when it has run out of claimed jobs: writes the outcomes waiting
    /// (its own and other slots'), then claims the next jobs. One slot at a time; another that runs
    /// out meanwhile waits for the jobs this one claims, and leaves its outcome to it. Whenever the
    /// queue may have run dry (or the worker is stopping) the claim loop is woken to take over: idle
    /// waits, jobs due later, --once and shutdown stay its business.
    /// </summary>
    private async Task RefillAsync(SqliteQueueStore store, WakeSignal wake, CancellationToken stop)
    {
        do
        {
            if (Interlocked.CompareExchange(ref _refilling, 1, 0) != 0) return;
            try
            {
                var batch = TakeOutcomes(_outcomes.Reader);
                if (batch.Count > 0) await WriteOutcomesAsync(store, batch).ConfigureAwait(false);
                if (stop.IsCancellationRequested || StopLevel != StopRequest.None || !ClaimedAllWanted(store)) wake.Set();
            }
            finally
            {
                Volatile.Write(ref _refilling, 0);
            }
            // A slot that ran out while this refill was under way left its outcome to it: with nothing
            // claimed for the slots, write it now rather than after the recorder's backstop.
        } while (_outcomes.Reader.TryPeek(out _) && !_ready.Reader.TryPeek(out _));
    }

    /// <summary>A slot's claim: false when it got fewer jobs than there was room for, or the database was busy or full.</summary>
    private bool ClaimedAllWanted(SqliteQueueStore store)
    {
        try
        {
            CheckClock(store);
            var (want, claimed) = ClaimMore(store, store.GetConfig());
            return claimed >= want;
        }
        catch (QueueException e) when (e.Kind is QueueErrorKind.Busy or QueueErrorKind.Full)
        {
            Emit(WorkerEventKind.Warning, null, null, e.Message);
            return false;
        }
    }

    private async Task<AttemptResult> RunJob(RunningJob running, SqliteQueueStore store)
    {
        var job = running.Job;
        Emit(WorkerEventKind.Picked, job.Id, job.Attempt, job.Command);
        AttemptResult result;
        try
        {
            var context = new ExecutionContext
            {
                OutputLimit = running.Config.OutputLimit,
                ProcessStarted = pid => _started.Writer.TryWrite((running, pid)),
            };
            result = await _executor.ExecuteAsync(job, context, running.Abort.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            result = new AttemptResult(AttemptOutcome.Failed, null, $"the worker could not run it: {e.Message}", null);
        }
        return running.EndReason switch
        {
            AttemptOutcome.Cancelled => result with { Outcome = AttemptOutcome.Cancelled, Error = "cancelled by user" },
            AttemptOutcome.HandedBack => result with { Outcome = AttemptOutcome.HandedBack },
            _ => result,
        };
    }

    /// <summary>
    /// Records the process group of each started command, as many as are waiting in one
    /// transaction, so that a slot goes on to watch its command instead of waiting for a write.
    /// A group not yet recorded when the worker dies is still found by recovery on Linux (by the
    /// QUEUECTL_JOB_ID/ATTEMPT environment). A command that has already ended is not recorded:
    /// its group was ended with it, and the record would be cleared by its outcome anyway.
    /// </summary>
    private async Task RecordProcessesLoop(SqliteQueueStore store)
    {
        var reader = _started.Reader;
        var batch = new List<(ClaimedJob Job, int Pid)>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            await GatherAsync(reader, ProcessRecordWindow).ConfigureAwait(false);
            batch.Clear();
            while (batch.Count < MaxRecordBatch && reader.TryRead(out var started))
                if (!started.Job.Ended) batch.Add((started.Job.Job, started.Pid));
            if (batch.Count > 0) TryWrite(() => store.RecordProcesses(batch));
        }
    }

    /// <summary>
    /// Writes the outcomes no slot has written: tiny jobs' as they come, as many as are waiting in
    /// one transaction, and any other once it has waited <see cref="OutcomeBackstop"/> (a slot
    /// busy with a long job writes none). Wakes the claim loop after each batch, as held jobs
    /// have been let go.
    /// </summary>
    private async Task RecordLoop(SqliteQueueStore store, WakeSignal wake)
    {
        var reader = _outcomes.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (!JobsAreTiny()) await UntilOldestWaitedAsync(reader, OutcomeBackstop).ConfigureAwait(false);
            var batch = TakeOutcomes(reader);
            if (batch.Count == 0) continue; // a slot wrote them first
            await WriteOutcomesAsync(store, batch).ConfigureAwait(false);
            wake.Set();
        }
    }

    /// <summary>
    /// Whether jobs are so short (microseconds: the prefetch is at its cap) that a claimed batch
    /// runs out within <see cref="TinyBatchSpan"/>. Their outcomes are then written by the recorder
    /// as they come, in parallel with the slots, and the claim loop refills: bookkeeping on the
    /// slots would cost more than the jobs themselves.
    /// </summary>
    private bool JobsAreTiny()
    {
        var average = Interlocked.Read(ref _averageRunTicks);
        if (average < 0) return false;
        var batchSpan = (double)average * (_options.Slots + Prefetch()) / _options.Slots;
        return batchSpan < TinyBatchSpan.TotalSeconds * Stopwatch.Frequency;
    }

    /// <summary>Waits until the oldest waiting outcome is <paramref name="age"/> old, or none is left, or a whole batch is waiting.</summary>
    private static async Task UntilOldestWaitedAsync(ChannelReader<Outcome> reader, TimeSpan age)
    {
        while (reader.TryPeek(out var oldest) && reader.Count < MaxRecordBatch)
        {
            var left = age - Stopwatch.GetElapsedTime(oldest.PostedAt);
            if (left <= TimeSpan.Zero) return;
            await Task.Delay(left).ConfigureAwait(false);
        }
    }

    /// <summary>Takes up to a batch of the outcomes waiting (the recorder and slots share them: each is taken once).</summary>
    private static List<Outcome> TakeOutcomes(ChannelReader<Outcome> reader)
    {
        var batch = new List<Outcome>();
        while (batch.Count < MaxRecordBatch && reader.TryRead(out var outcome)) batch.Add(outcome);
        return batch;
    }

    /// <summary>Writes a batch of outcomes in one transaction, then lets their jobs go and reports each.</summary>
    private async Task WriteOutcomesAsync(SqliteQueueStore store, List<Outcome> batch)
    {
        var finished = await RecordAsync(store, batch).ConfigureAwait(false);
        foreach (var outcome in batch) _running.TryRemove(outcome.Job.Job.Id, out _);
        if (finished is not null) foreach (var finish in finished) Report(finish);
    }

    /// <summary>Lets more process records arrive for up to <paramref name="window"/>, unless a whole batch is already waiting.</summary>
    private static async Task GatherAsync<T>(ChannelReader<T> reader, TimeSpan window)
    {
        if (window > TimeSpan.Zero && (!reader.CanCount || reader.Count < MaxRecordBatch))
            await Task.Delay(window).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<FinishResult>?> RecordAsync(SqliteQueueStore store, List<Outcome> batch)
    {
        var attempts = batch.Select(b => (b.Job.Job, b.Result)).ToList();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                CheckClock(store);
                return store.Finish(Id, attempts, store.GetConfig());
            }
            catch (QueueException e) when (e.Kind is QueueErrorKind.Busy or QueueErrorKind.Full && attempt < 10)
            {
                Emit(WorkerEventKind.Warning, null, null, $"could not record the outcome of {attempts.Count} job(s) yet ({e.Message}); trying again");
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt)).ConfigureAwait(false);
            }
            catch (QueueException e)
            {
                Emit(WorkerEventKind.Warning, null, null, $"could not record the outcome of {attempts.Count} job(s): {e.Message}. Their leases will run out and they will be retried.");
                return null;
            }
        }
    }

    private void Report(FinishResult finish)
    {
        var job = finish.Job;
        var result = finish.Result;
        if (!finish.Applied)
        {
            Emit(WorkerEventKind.LeaseLost, job.Id, job.Attempt, "its lease had been taken over; this outcome was discarded");
            return;
        }
        var what = result.Error ?? $"exit code {result.ExitCode}";
        switch (finish.NewState)
        {
            case JobState.Completed:
                Emit(WorkerEventKind.Completed, job.Id, job.Attempt, $"completed in {(_clock.UtcNow - job.StartedAt).TotalSeconds:0.###} s");
                break;
            case JobState.Failed:
                Emit(WorkerEventKind.Retrying, job.Id, job.Attempt, $"failed ({what}); retry {job.Attempt} of {job.MaxRetries} at {finish.RetryAt:u}");
                break;
            case JobState.Dead:
                Emit(WorkerEventKind.DeadLettered, job.Id, job.Attempt, $"failed ({what}); moved to the dead-letter queue");
                break;
            case JobState.Pending:
                Emit(WorkerEventKind.HandedBack, job.Id, job.Attempt, "handed back to the queue (not charged)");
                break;
        }
    }

    /// <param name="leaseSeconds">The lease the worker started with: it spaces the first beat.</param>
    private async Task HeartbeatLoop(SqliteQueueStore store, WakeSignal wake, int leaseSeconds, CancellationToken stop)
    {
        // The worker has just registered (its heartbeat) and recovered: the first beat waits an
        // interval, so that workers started together go to their first claims without it.
        var interval = HeartbeatInterval(leaseSeconds);
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(interval, stop).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            interval = TimeSpan.FromSeconds(1);
            try
            {
                CheckClock(store);
                var config = store.GetConfig();
                interval = HeartbeatInterval(config.LeaseSeconds);
                Apply(store.Heartbeat(Id, config.LeaseSeconds));
                Recover(store, config);
                if (StopLevel != StopRequest.None) wake.Set();
            }
            catch (QueueException e)
            {
                Emit(WorkerEventKind.Warning, null, null, $"heartbeat failed: {e.Message}");
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    /// <summary>A third of the lease: a lease outlives two missed beats.</summary>
    private static TimeSpan HeartbeatInterval(int leaseSeconds) => TimeSpan.FromSeconds(Math.Max(0.2, leaseSeconds / 3.0));

    /// <summary>
    /// After a wall-clock jump, shifts the waits measured from "now" (delays, backoffs, leases,
    /// heartbeats) by the jump before any time from the new clock is written; several workers
    /// noticing the same jump shift once. Runs before every claim, outcome write and heartbeat.
    /// </summary>
    private void CheckClock(SqliteQueueStore store)
    {
        lock (_clockGate)
        {
            if (_clock.PendingJump is not { } jump) return;
            bool applied;
            // Until the shift is written, the clock keeps counting from before the jump, which
            // agrees with the database: nothing is lost by trying again at the next check.
            try { applied = store.ShiftRelativeTimes(jump, _clock.UtcNow); }
            catch (QueueException e) when (e.Kind is QueueErrorKind.Busy or QueueErrorKind.Full)
            {
                Emit(WorkerEventKind.Warning, null, null, $"the wall clock jumped; shifting the waits to match must wait ({e.Message})");
                return;
            }
            _clock.Accept();
            var by = $"{(jump < TimeSpan.Zero ? "back" : "forward")} by {jump.Duration():g}";
            Emit(WorkerEventKind.Warning, null, null, applied
                ? $"the wall clock jumped {by}; delays, retry backoffs and leases were shifted to keep their length"
                : $"the wall clock jumped {by}; another worker had already shifted the waits");
        }
    }

    private void Apply(WorkerControl control)
    {
        if (control.Stop != StopRequest.None) RaiseStop(control.Stop);
        foreach (var id in control.CancelJobIds)
            if (_running.TryGetValue(id, out var job)) job.End(AttemptOutcome.Cancelled);
    }

    /// <summary>
    /// Recovers jobs whose worker is gone: local workers whose process died lose their leases at
    /// once; any expired lease is charged as "worker lost", after its command (if it ran on this
    /// host) has been ended, so that no job ever runs twice at the same time.
    /// </summary>
    private void Recover(SqliteQueueStore store, QueueConfig config)
    {
        foreach (var (id, pid, processStart, _) in store.LocalWorkers(Host))
        {
            if (id == Id || ProcessTools.IsAlive(pid, processStart)) continue;
            store.MarkWorkerLost(id);
            Emit(WorkerEventKind.Warning, null, null, $"worker {id} (pid {pid}) is gone; recovering its jobs");
        }
        store.MarkSilentWorkersLost(TimeSpan.FromSeconds(config.LeaseSeconds * 3));
        foreach (var lease in store.FindExpiredLeases())
        {
            // Whatever is left of the attempt on this host is ended first, and the job is not retried
            // while any of it still runs (the worker may have died before it recorded the pid).
            if (string.Equals(lease.Host, Host, StringComparison.OrdinalIgnoreCase)
                && !ProcessTools.EndAttemptProcesses(lease.Pid, lease.JobId, lease.Attempt, TimeSpan.FromSeconds(2)))
            {
                Emit(WorkerEventKind.Warning, lease.JobId, lease.Attempt, "the lost attempt's processes are still ending; it will be retried once they are gone");
                continue;
            }
            if (store.FailLostAttempt(lease, config))
                Emit(WorkerEventKind.Recovered, lease.JobId, lease.Attempt, $"attempt charged as worker lost (worker {lease.WorkerId ?? "?"}); retry policy applied");
        }
    }

    private async Task ShutDown(SqliteQueueStore store, WakeSignal wake, CancellationToken stop, CancellationToken stopNow)
    {
        if (_options.Drain && _running.IsEmpty && StopLevel == StopRequest.None && !stop.IsCancellationRequested) return;
        TryWrite(() => store.SetWorkerState(Id, WorkerState.Stopping));
        RaiseStop(stopNow.IsCancellationRequested ? StopRequest.Immediate : StopRequest.Graceful);
        // Prefetched jobs that have not started go back to the queue now (not charged).
        foreach (var job in _running.Values) job.HandBackIfWaiting();
        if (!_running.IsEmpty)
        {
            var grace = TimeSpan.FromSeconds(TryRead(() => store.GetConfig().ShutdownGrace, 30));
            Emit(WorkerEventKind.Stopping, null, null,
                StopLevel == StopRequest.Immediate ? $"stopping now: ending {_running.Count} running job(s)"
                    : $"stopping: waiting up to {grace.TotalSeconds:0} s for {_running.Count} running job(s)");
            var deadline = _clock.UtcNow + grace;
            while (!_running.IsEmpty && StopLevel != StopRequest.Immediate && _clock.UtcNow < deadline)
            {
                await wake.WaitAsync(TimeSpan.FromMilliseconds(250), stopNow).ConfigureAwait(false);
                if (stopNow.IsCancellationRequested) RaiseStop(StopRequest.Immediate);
                else TryRead(() => { Apply(store.ReadControl(Id)); return 0; }, 0);
            }
            foreach (var job in _running.Values) job.End(AttemptOutcome.HandedBack);
            // The slots and the recorder finish what is left once RunAsync closes their channels.
        }
        else
        {
            Emit(WorkerEventKind.Stopping, null, null, "stopping: no running jobs");
        }
    }

    private void TryWrite(Func<object?> write)
    {
        try { write(); }
        catch (QueueException e) { Emit(WorkerEventKind.Warning, null, null, e.Message); }
    }

    private void TryWrite(Action write) => TryWrite(() => { write(); return null; });

    private T TryRead<T>(Func<T> read, T fallback)
    {
        try { return read(); }
        catch (QueueException e) { Emit(WorkerEventKind.Warning, null, null, e.Message); return fallback; }
    }

    private void Emit(WorkerEventKind kind, string? jobId, int? attempt, string message)
    {
        var e = new WorkerEvent(_clock.UtcNow, kind, Id, jobId, attempt, message);
        lock (_logGate) _log?.WriteLine(e.ToString());
        try { EventRaised?.Invoke(e); }
        catch (Exception ex) when (ex is not OutOfMemoryException) { /* a listener's failure must not stop the worker */ }
    }

    /// <summary>An attempt's result waiting to be written; <paramref name="PostedAt"/> in Stopwatch ticks.</summary>
    private readonly record struct Outcome(RunningJob Job, AttemptResult Result, long PostedAt);

    private sealed class RunningJob(ClaimedJob job, QueueConfig config)
    {
        private int _reason = -1;
        private int _phase; // 0 waiting for a slot, 1 started, 2 handed back before it started
        private bool _ended;
        public ClaimedJob Job { get; } = job;
        public QueueConfig Config { get; } = config;
        public CancellationTokenSource Abort { get; } = new();
        /// <summary>Set once the attempt has its result (its command, if any, has ended).</summary>
        public bool Ended { get => Volatile.Read(ref _ended); set => Volatile.Write(ref _ended, value); }
        public AttemptOutcome? EndReason => Volatile.Read(ref _reason) is var r and >= 0 ? (AttemptOutcome)r : null;

        /// <summary>Takes the job into a slot; false if it was ended (or handed back) while it waited.</summary>
        public bool TryStart() => Interlocked.CompareExchange(ref _phase, 1, 0) == 0 && EndReason is null;

        /// <summary>Hands the job back if no slot has started it yet.</summary>
        public void HandBackIfWaiting()
        {
            if (Interlocked.CompareExchange(ref _phase, 2, 0) == 0) End(AttemptOutcome.HandedBack);
        }

        /// <summary>Ends the attempt; the first reason given wins.</summary>
        public void End(AttemptOutcome reason)
        {
            if (Interlocked.CompareExchange(ref _reason, (int)reason, -1) == -1)
                try { Abort.Cancel(); } catch (ObjectDisposedException) { }
        }
    }

    private sealed class CompositeDisposable(params IDisposable[] items) : IDisposable
    {
        public void Dispose() { foreach (var item in items) item.Dispose(); }
    }
}
