using System.Diagnostics;
using System.Text;
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
