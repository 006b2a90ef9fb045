namespace QueueCtl.Core.Errors;

/// <summary>
/// The families of failure QueueCtl reports. Each maps to a stable process exit code
/// (<see cref="QueueErrorKindExtensions.ExitCode"/>); the specific ErrorId on a
/// <see cref="QueueException"/> says which rule was broken.
/// </summary>
public enum QueueErrorKind
{
    /// <summary>Something the user gave is malformed or out of range.</summary>
    InvalidInput,
    /// <summary>A named job, worker or key does not exist.</summary>
    NotFound,
    /// <summary>The request clashes with what is stored (duplicate id, wrong state).</summary>
    Conflict,
    /// <summary>The database file is missing its folder, unwritable, not QueueCtl's, corrupt or too new.</summary>
    Database,
    /// <summary>Another process held the database locked past the busy timeout.</summary>
    Busy,
    /// <summary>The database or its disk is full.</summary>
    Full,
    /// <summary>A wait ran out of time.</summary>
    Timeout,
    /// <summary>A worker process could not be started or reached.</summary>
    Worker,
}

public static class QueueErrorKindExtensions
{
    /// <summary>Exit codes are a public contract: never renumber them.</summary>
    public static int ExitCode(this QueueErrorKind kind) => kind switch
    {
        QueueErrorKind.InvalidInput => 2,
        QueueErrorKind.NotFound => 3,
        QueueErrorKind.Conflict => 4,
        QueueErrorKind.Database => 5,
        QueueErrorKind.Busy => 6,
        QueueErrorKind.Full => 7,
        QueueErrorKind.Timeout => 8,
        QueueErrorKind.Worker => 9,
        _ => 1,
    };
}
