namespace QueueCtl.Core.Errors;

/// <summary>
/// A failure meant for a person: <see cref="Exception.Message"/> says what was wrong, where,
/// and what to do. <see cref="ErrorId"/> is stable (it becomes the PowerShell ErrorRecord id).
/// </summary>
public sealed class QueueException : Exception
{
    public QueueException(QueueErrorKind kind, string errorId, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        ErrorId = errorId;
        Target = target;
    }

    public QueueErrorKind Kind { get; }
    public string ErrorId { get; }
    /// <summary>What the error is about: a job id, a key, a path, a line of input.</summary>
    public object? Target { get; }
    /// <summary>For a job refused in a batch (JobQueue.EnqueueMany): its position in the batch, from 0.</summary>
    public int? ItemIndex { get; internal set; }
    public int ExitCode => Kind.ExitCode();

    internal static QueueException Invalid(string errorId, string message, object? target = null) =>
        new(QueueErrorKind.InvalidInput, errorId, message, target);
}
