using Microsoft.Data.Sqlite;
using QueueCtl.Core.Config;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Time;

namespace QueueCtl.Core.Storage;

/// <summary>
/// The SQLite backend: the only place that knows SQL. One long-lived connection, used by one
/// thread at a time (guarded by a lock), with its prepared commands kept for reuse (the statements
/// run once per job in a batch through <see cref="RawStatement"/>).
/// Partial files group the statements by concern: Enqueue, Inbox, Lifecycle (the state machine),
/// Queries, Workers and Config.
/// </summary>
internal sealed partial class SqliteQueueStore : IQueueStore
{
    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RawStatement> _statements = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly IClock _clock;
    private bool _disposed;
    private bool _writing; // inside Write's transaction: reads run in it and need not move the inbox

    private SqliteQueueStore(string path, SqliteConnection connection, IClock clock)
    {
        Path = path;
        _connection = connection;
        _clock = clock;
    }

    public string Path { get; }
    public IClock Clock => _clock;

    public static SqliteQueueStore Open(string path, IClock? clock = null, StoreOptions? options = null) =>
        new(path, SqliteDatabase.Open(path, options ?? StoreOptions.Default), clock ?? SystemClock.Instance);

    internal long NowMs => _clock.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>
    /// Runs a read under the lock, translating SQLite failures into QueueExceptions. Jobs waiting in
    /// the inbox are moved into jobs first (a write of its own), so that the read sees them; a read
    /// that cannot meet a job still waiting there (workers, configuration, attempts, running jobs)
    /// passes <paramref name="moveInbox"/> false.
    /// </summary>
    private T Read<T>(Func<T> work, bool moveInbox = true)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                if (moveInbox && !_writing && InboxHoldsJobs()) Write(() => 0);
                return work();
            }
            catch (SqliteException e) { throw Translate(e); }
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> inside BEGIN IMMEDIATE … COMMIT: all of it is written, or none.
    /// The inbox is moved into jobs first unless <paramref name="moveInbox"/> says not to (the
    /// enqueue that writes to it).
    /// </summary>
    private T Write<T>(Func<T> work, bool moveInbox = true)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // Through SQLite's own API, without Microsoft.Data.Sqlite's command and reader objects. A
            // BEGIN that meets a held lock waits busy_timeout (SQLite's busy handler), then fails.
            try
            {
                Statement("BEGIN IMMEDIATE;").Run();
            }
            catch (SqliteException e) { throw Translate(e); }
            _writing = true;
            try
            {
                if (moveInbox) MoveInbox();
                var result = work();
                Statement("COMMIT;").Run();
                return result;
            }
            catch (Exception e)
            {
                try { Statement("ROLLBACK;").Run(); } catch (SqliteException) { /* SQLite may have rolled back itself (SQLITE_FULL) */ }
                if (e is SqliteException sqlite) throw Translate(sqlite);
                throw;
            }
            finally
            {
                _writing = false;
            }
        }
    }

    /// <summary>
    /// A statement that fails with a plain SQL error (no such index, no query solution) may mean
    /// that a newer QueueCtl moved the file's schema forward while this one had it open: say so,
    /// and what to do, instead of passing on SQLite's words.
    /// </summary>
    private QueueException Translate(SqliteException e)
    {
        if (e.SqliteErrorCode == SqliteErrors.Error)
        {
            try
            {
                if (SqliteDatabase.Scalar(_connection, "PRAGMA user_version") is long version && version > SqliteSchema.CurrentVersion)
                    return SqliteErrors.UpgradedWhileOpen(Path, version, e);
            }
            catch (SqliteException) { /* the error below says what can be said */ }
        }
        return SqliteErrors.Translate(e, Path);
    }

    private void Run(string sql)
    {
        var command = Command(sql);
        command.ExecuteNonQuery();
    }

    /// <summary>A prepared command for this SQL text, reused across calls; its parameters are cleared.</summary>
    private SqliteCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = _connection.CreateCommand();
            command.CommandText = sql;
            _commands[sql] = command;
        }
        command.Parameters.Clear();
        return command;
    }

    /// <summary>A statement for this SQL text run through SQLite's own API, prepared once (see RawStatement).</summary>
    private RawStatement Statement(string sql)
    {
        if (!_statements.TryGetValue(sql, out var statement))
            _statements[sql] = statement = new RawStatement(_connection, sql);
        statement.Reset(); // in case a failure left it part-way through its rows
        return statement;
    }

    private static SqliteCommand With(SqliteCommand command, string name, object? value)
    {
        command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    internal static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();
    internal static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
    private static DateTimeOffset? FromMs(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : FromMs(r.GetInt64(i));
    private static string? Text(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    private static int? Int(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt32(i);

    // Constant strings: a batch's repeated shell is then bound once (see RawStatement).
    internal static string ShellName(JobShell shell) => shell switch
    {
        JobShell.Sh => "sh",
        JobShell.Cmd => "cmd",
        JobShell.Pwsh => "pwsh",
        JobShell.None => "none",
        _ => throw new ArgumentOutOfRangeException(nameof(shell)),
    };
    internal static JobShell ParseShell(string name) => Enum.Parse<JobShell>(name, ignoreCase: true);

    internal static IReadOnlyDictionary<string, string> ParseEnvironment(string? json) =>
        json is null ? QueueJob.EmptyEnvironment
            : EnvironmentJson.Read(json) ?? (IReadOnlyDictionary<string, string>)QueueJob.EmptyEnvironment;

    private const string JobColumns =
        "id, command, shell, queue, priority, state, attempts, max_retries, timeout_sec, run_at, next_run_at, " +
        "working_directory, environment, exit_code, last_error, output, created_at, updated_at, started_at, " +
        "finished_at, duration_ms, worker_id, lease_expires_at";

    private static QueueJob ReadJob(SqliteDataReader r, QueueConfig config) => new()
    {
        Id = r.GetString(0),
        Command = r.GetString(1),
        Shell = ParseShell(r.GetString(2)),
        Queue = r.GetString(3),
        Priority = r.GetInt32(4),
        State = JobLifecycle.ParseState(r.GetString(5)),
        Attempts = r.GetInt32(6),
        MaxRetries = Int(r, 7) ?? config.MaxRetries,
        TimeoutSec = Int(r, 8) ?? config.JobTimeout,
        RunAt = FromMs(r.GetInt64(9)),
        NextRunAt = FromMs(r.GetInt64(10)),
        WorkingDirectory = Text(r, 11),
        Environment = ParseEnvironment(Text(r, 12)),
        ExitCode = Int(r, 13),
        LastError = Text(r, 14),
        Output = Text(r, 15),
        CreatedAt = FromMs(r.GetInt64(16)),
        UpdatedAt = FromMs(r.GetInt64(17)),
        StartedAt = FromMs(r, 18),
        FinishedAt = FromMs(r, 19),
        Duration = r.IsDBNull(20) ? null : TimeSpan.FromMilliseconds(r.GetInt64(20)),
        WorkerId = Text(r, 21),
        LeaseExpiresAt = FromMs(r, 22),
    };

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var command in _commands.Values) command.Dispose();
            _commands.Clear();
            foreach (var statement in _statements.Values) statement.Dispose();
            _statements.Clear();
            _connection.Dispose();
        }
    }
}
