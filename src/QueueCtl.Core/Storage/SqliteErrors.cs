using Microsoft.Data.Sqlite;
using QueueCtl.Core.Errors;

namespace QueueCtl.Core.Storage;

/// <summary>Turns SQLite's result codes into messages that say what happened to the queue file and what to do.</summary>
internal static class SqliteErrors
{
    public const int Error = 1, Full = 13;
    private const int Busy = 5, Locked = 6, ReadOnly = 8, IoError = 10, Corrupt = 11, CantOpen = 14, NotADatabase = 26;

    /// <summary>The file's schema was moved forward by a newer QueueCtl after this process opened it.</summary>
    public static QueueException UpgradedWhileOpen(string path, long version, SqliteException e) =>
        new(QueueErrorKind.Database, "DatabaseTooNew",
            $"'{path}' was upgraded by a newer QueueCtl while this one had it open (schema version {version}; this one knows up to {SqliteSchema.CurrentVersion}). What this one was doing was not written. Use the newer QueueCtl: after an upgrade, restart workers and PowerShell sessions that imported the module.", path, e);

    public static QueueException Translate(SqliteException e, string path) => e.SqliteErrorCode switch
    {
        Busy or Locked => new QueueException(QueueErrorKind.Busy, "DatabaseBusy",
            $"The queue database '{path}' stayed locked by another process past the busy timeout. Retry, or find the process holding it (for example a long-running sqlite3 session).", path, e),
        Full => new QueueException(QueueErrorKind.Full, "DatabaseFull",
            $"The queue database '{path}' is full (its disk or its page limit). Nothing was written. Free space, or remove finished jobs with 'queuectl' / Remove-QueueJob.", path, e),
        ReadOnly or CantOpen => new QueueException(QueueErrorKind.Database, "DatabaseUnwritable",
            $"Cannot write the queue database '{path}': {e.Message}. Check that the file and its folder exist and are writable by you, or choose another with --db / -Database / $QUEUECTL_DB.", path, e),
        Corrupt or NotADatabase => new QueueException(QueueErrorKind.Database, "DatabaseCorrupt",
            $"'{path}' is corrupt or not a database ({e.Message}). Move it aside and start a new queue, or restore it from a backup.", path, e),
        IoError => new QueueException(QueueErrorKind.Database, "DatabaseIoError",
            $"Reading or writing the queue database '{path}' failed: {e.Message}. Check the disk and the file's permissions.", path, e),
        _ => new QueueException(QueueErrorKind.Database, "DatabaseError",
            $"The queue database '{path}' reported an error: {e.Message}", path, e),
    };
}
