using System.Diagnostics;
using System.Text;
using Microsoft.Data.Sqlite;
using QueueCtl.Core.Processes;
using QueueCtl.Tests.Support;

namespace QueueCtl.Tests.Faults;

/// <summary>A real `queuectl worker run` child whose log is drained as it runs (a full pipe would stall it).</summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private WorkerProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine("stderr: " + e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static WorkerProcess Start(string database, int concurrency = 1, params string[] extra) =>
        Start(database, concurrency, null, extra);

    public static WorkerProcess Start(string database, int concurrency, IDictionary<string, string?>? environment, params string[] extra) =>
        new(CliRunner.Start(["worker", "run", "--db", database, "--concurrency", concurrency.ToString(), .. extra], environment));

    /// <summary>A QueueCtl.FaultDriver child (enqueuer or lock holder), its output drained the same way.</summary>
    public static WorkerProcess StartDriver(params string[] args) => new(FaultDriver.Start(args));

    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public string Log { get { lock (_log) return _log.ToString(); } }

    public void Signal(int signal) => ProcessTools.Signal(_process.Id, signal);
    public void Kill() { Signal(ProcessTools.SigKill); _process.WaitForExit(); }
    public void Freeze() => Signal(19); // SIGSTOP
    public void Thaw() => Signal(18);   // SIGCONT

    /// <summary>
    /// SIGSTOP at a moment the worker holds no write transaction. SQLite has one writer, so a worker
    /// frozen inside a transaction blocks every other process until it is thawed or killed, and no
    /// lease can help: that is a different fault from a worker frozen while its job runs. Until
    /// another connection can take the write lock: thaw, let it run a moment, freeze again.
    /// </summary>
    public void FreezeOutsideTransaction(string database)
    {
        for (var attempt = 1; ; attempt++)
        {
            Freeze();
            if (WriteLockIsFree(database)) return;
            Thaw();
            if (attempt == 20) throw new InvalidOperationException("the worker held the database's write lock each of the 20 times it was frozen:\n" + Log);
            Thread.Sleep(7);
        }
    }

    private static bool WriteLockIsFree(string database)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false, DefaultTimeout = 1 }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 200; BEGIN IMMEDIATE; ROLLBACK;";
        try { command.ExecuteNonQuery(); return true; }
        catch (SqliteException e) when (e.SqliteErrorCode is 5 or 6) { return false; } // SQLITE_BUSY, SQLITE_LOCKED
    }

    /// <summary>SIGTERM (graceful stop), then wait for it to end.</summary>
    public bool Stop(TimeSpan wait)
    {
        if (_process.HasExited) return true;
        Signal(ProcessTools.SigTerm);
        return _process.WaitForExit(wait);
    }

    public bool WaitForExit(TimeSpan wait) => _process.WaitForExit(wait);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
