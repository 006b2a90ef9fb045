using System.Management.Automation;
using QueueCtl.Core;
using QueueCtl.Core.Errors;

namespace QueueCtl.PowerShell;

/// <summary>
/// What every QueueCtl cmdlet needs: the -Database parameter resolved against the current
/// PowerShell location, one open queue per invocation, a cancellation token that Ctrl+C
/// (StopProcessing) trips, and QueueExceptions turned into ErrorRecords with stable ids.
/// </summary>
public abstract class QueueCmdletBase : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private JobQueue? _queue;

    /// <summary>The queue database. Default: $env:QUEUECTL_DB, else the per-user default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Database { get; set; }

    /// <summary>Tripped when the user presses Ctrl+C or the pipeline is stopped.</summary>
    protected CancellationToken Cancellation => _stopping.Token;

    /// <summary>The queue, opened on first use; a database that cannot be opened ends the command.</summary>
    protected JobQueue Jobs => _queue ??= OpenQueue();

    /// <summary>The -Database path made absolute against the current file-system location, or null.</summary>
    protected string? ResolvedDatabasePath =>
        Database is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Database);

    private JobQueue OpenQueue()
    {
        try
        {
            var queue = JobQueue.Open(ResolvedDatabasePath);
            WriteVerbose($"Using the queue at {queue.DatabasePath}.");
            return queue;
        }
        catch (QueueException e)
        {
            ThrowTerminatingError(ToErrorRecord(e));
            throw; // not reached: ThrowTerminatingError always throws
        }
    }

    /// <summary>Runs one per-item operation; a QueueException becomes a non-terminating error and false.</summary>
    protected bool TryItem(Action action, object? target = null)
    {
        try
        {
            action();
            return true;
        }
        catch (QueueException e) when (!IsDatabaseFailure(e))
        {
            WriteError(ToErrorRecord(e, target));
            return false;
        }
        catch (QueueException e)
        {
            ThrowTerminatingError(ToErrorRecord(e, target));
            return false;
        }
    }

    /// <summary>A database that is broken, too new, full or locked affects every item: nothing can go on.</summary>
    protected static bool IsDatabaseFailure(QueueException e) =>
        e.Kind is QueueErrorKind.Database or QueueErrorKind.Busy or QueueErrorKind.Full;

    /// <summary>The ErrorRecord for a Core failure: its ErrorId is the record's id (a public contract).</summary>
    protected static ErrorRecord ToErrorRecord(QueueException e, object? target = null) =>
        new(e, e.ErrorId, CategoryOf(e), e.Target ?? target);

    /// <summary>An ErrorRecord for a rule the cmdlet itself enforces (parameter combinations and the like).</summary>
    protected static ErrorRecord NewError(string errorId, ErrorCategory category, string message, object? target = null) =>
        new(new InvalidOperationException(message), errorId, category, target);

    public static ErrorCategory CategoryOf(QueueException e) => e.Kind switch
    {
        QueueErrorKind.InvalidInput => ErrorCategory.InvalidArgument,
        QueueErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        QueueErrorKind.Conflict => e.ErrorId.StartsWith("Duplicate", StringComparison.Ordinal)
            ? ErrorCategory.ResourceExists : ErrorCategory.InvalidOperation,
        QueueErrorKind.Database => ErrorCategory.OpenError,
        QueueErrorKind.Busy => ErrorCategory.ResourceBusy,
        QueueErrorKind.Full => ErrorCategory.LimitsExceeded,
        QueueErrorKind.Timeout => ErrorCategory.OperationTimeout,
        QueueErrorKind.Worker => ErrorCategory.ResourceUnavailable,
        _ => ErrorCategory.NotSpecified,
    };

    protected override void StopProcessing() => _stopping.Cancel();

    public void Dispose()
    {
        _queue?.Dispose();
        _queue = null;
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }
}
