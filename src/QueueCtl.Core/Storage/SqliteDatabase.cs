using System.Text;
using Microsoft.Data.Sqlite;
using QueueCtl.Core.Errors;

namespace QueueCtl.Core.Storage;

/// <summary>Opens a queue file: refuses what is not ours or is too new, creates it private, migrates it forward.</summary>
internal static class SqliteDatabase
{
    private static readonly byte[] SqliteHeader = Encoding.ASCII.GetBytes("SQLite format 3\0");

    // Paths this process has already checked and opened through SQLite. On POSIX, closing *any*
    // descriptor of a file drops every fcntl lock this process holds on it, so reading the header
    // again with a FileStream while SQLite has the file open (a second JobQueue, or a JobQueue and
    // a Worker in one process) would release SQLite's locks and let another process delete the
    // live WAL. Once SQLite has the file, SQLite itself reports a file that is not a database.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> Verified = new(StringComparer.Ordinal);

    public static SqliteConnection Open(string path, StoreOptions options)
    {
        if (!Verified.ContainsKey(path)) CheckFileBeforeOpen(path);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            // A pooled connection keeps the file open after Dispose; workers hold one connection anyway.
            Pooling = false,
            // Microsoft.Data.Sqlite retries busy statements until this (whole seconds) runs out, on top of busy_timeout.
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds)),
        }.ToString());
        try
        {
            SqliteProcessSettings.Apply(); // before SQLite starts in this process
            connection.Open();
            Execute(connection, $"PRAGMA busy_timeout = {(int)options.BusyTimeout.TotalMilliseconds};");
            // Look before changing anything: switching to WAL rewrites the file header, so a file that
            // is not ours, or is too new, must be refused before it.
            CheckIdentity(connection, path, out _);
            var journal = Scalar(connection, "PRAGMA journal_mode = WAL;");
            if (!string.Equals(journal as string, "wal", StringComparison.OrdinalIgnoreCase))
                throw new QueueException(QueueErrorKind.Database, "DatabaseNoWal",
                    $"The queue database '{path}' cannot use write-ahead logging (journal mode stayed '{journal}'). Put it on a local file system.", path);
            Execute(connection, $"PRAGMA synchronous = {(options.ResolveDurability() == Durability.Full ? "FULL" : "NORMAL")};");
            // 8 MiB of page cache (default 2 MiB): the inner pages of a million-job queue's B-trees stay
            // in memory. Not more: when a B-tree split has parked a page at a temporary number past the
            // file's end, the commit walks every cached page to drop pages past the end, and a new
            // process first faults in the memory its cache grows into (64 MiB was 5-12% slower).
            Execute(connection, "PRAGMA cache_size = -8192;");
            // A statement that writes many rows (a grouped insert) keeps a journal of its own; by default
            // it moves to a temporary file once past 64 KiB and stays one until the transaction ends,
            // so a 100,000-job batch made a write system call for every later statement.
            Execute(connection, "PRAGMA temp_store = MEMORY;");
            Migrate(connection, path);
            if (options.MaxPageCount is { } pages) Execute(connection, $"PRAGMA max_page_count = {pages};");
            Verified.TryAdd(path, true);
            return connection;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw SqliteErrors.Translate(e, path);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void CheckFileBeforeOpen(string path)
    {
        if (Directory.Exists(path))
            throw new QueueException(QueueErrorKind.Database, "DatabasePathIsFolder",
                $"'{path}' is a folder, not a queue database. Give the path of a file, for example {Path.Combine(path, "queue.db")}.", path);
        var folder = Path.GetDirectoryName(path)!;
        try
        {
            if (!Directory.Exists(folder))
            {
                if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
                else Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            if (!File.Exists(path))
            {
                // Create the file private to the user before SQLite writes anything into it.
                var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows()) create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                try { using var _ = new FileStream(path, create); }
                catch (IOException) when (File.Exists(path)) { /* another process created it first */ }
                return;
            }
            Span<byte> header = stackalloc byte[16];
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var read = stream.ReadAtLeast(header, 16, throwOnEndOfStream: false);
            if (read > 0 && (read < 16 || !header.SequenceEqual(SqliteHeader)))
                throw new QueueException(QueueErrorKind.Database, "NotQueueDatabase",
                    $"'{path}' is not a QueueCtl database (it is not an SQLite file at all). Nothing was changed. Point --db / -Database / $QUEUECTL_DB at a queue file, or at a new path to start one.", path);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new QueueException(QueueErrorKind.Database, "DatabaseUnwritable",
                $"Cannot use '{path}' as the queue database: {e.Message} Choose a path you can write with --db / -Database / $QUEUECTL_DB.", path, e);
        }
    }

    private static void Migrate(SqliteConnection connection, string path)
    {
        CheckIdentity(connection, path, out var version);
        if (version == SqliteSchema.CurrentVersion) return;

        Execute(connection, "BEGIN IMMEDIATE;");
        try
        {
            // Someone may have migrated between our check and our lock: look again under the lock.
            CheckIdentity(connection, path, out version);
            for (var v = version; v < SqliteSchema.CurrentVersion; v++)
                Execute(connection, SqliteSchema.Migrations[v]);
            Execute(connection, $"PRAGMA application_id = {SqliteSchema.ApplicationId};");
            Execute(connection, $"PRAGMA user_version = {SqliteSchema.CurrentVersion};");
            Execute(connection, "COMMIT;");
        }
        catch
        {
            Execute(connection, "ROLLBACK;");
            throw;
        }
    }

    private static void CheckIdentity(SqliteConnection connection, string path, out int version)
    {
        // One statement, so one snapshot: read one at a time, the three could straddle another
        // process's migration (no application id yet, then its tables) and call a new queue foreign.
        long applicationId, tables;
        using (var identity = connection.CreateCommand())
        {
            identity.CommandText = """
                SELECT (SELECT application_id FROM pragma_application_id),
                       (SELECT user_version FROM pragma_user_version),
                       (SELECT count(*) FROM sqlite_schema)
                """;
            using var r = identity.ExecuteReader();
            r.Read();
            (applicationId, version, tables) = (r.GetInt64(0), r.GetInt32(1), r.GetInt64(2));
        }
        if (applicationId == 0)
        {
            if (tables > 0)
                throw new QueueException(QueueErrorKind.Database, "NotQueueDatabase",
                    $"'{path}' is an SQLite database, but not a QueueCtl one. Nothing was changed. Point --db / -Database / $QUEUECTL_DB at a queue file, or at a new path to start one.", path);
            version = 0;
            return;
        }
        if (applicationId != SqliteSchema.ApplicationId)
            throw new QueueException(QueueErrorKind.Database, "NotQueueDatabase",
                $"'{path}' belongs to another application (application_id {applicationId}). Nothing was changed.", path);
        if (version > SqliteSchema.CurrentVersion)
            throw new QueueException(QueueErrorKind.Database, "DatabaseTooNew",
                $"'{path}' was written by a newer QueueCtl (schema version {version}; this one knows up to {SqliteSchema.CurrentVersion}). It was left untouched: upgrade QueueCtl to use it.", path);
    }

    internal static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    internal static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
