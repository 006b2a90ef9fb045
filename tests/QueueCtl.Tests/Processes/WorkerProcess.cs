using System.Diagnostics;
using System.Text;
using QueueCtl.Core.Processes;
using QueueCtl.Tests.Support;

namespace QueueCtl.Tests.Processes;

/// <summary>A real `queuectl worker run` child process, its log drained as it runs (so it never blocks on a full pipe).</summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly StringBuilder _log = new();

    private WorkerProcess(Process process)
    {
        Process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine("stderr: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }
    public int Pid => Process.Id;

    public string Log { get { lock (_log) return _log.ToString(); } }

    public static WorkerProcess Start(string database, params string[] options) =>
        new(CliRunner.Start(["worker", "run", "--db", database, .. options]));

    /// <summary>SIGTERM: the graceful stop a service manager or `kill` sends.</summary>
    public void Terminate() => Assert.True(ProcessTools.Signal(Pid, ProcessTools.SigTerm), $"could not signal pid {Pid}");

    /// <summary>SIGKILL: the worker gets no chance to clean up.</summary>
    public void KillHard()
    {
        Process.Kill();
        Assert.True(Process.WaitForExit(TimeSpan.FromSeconds(30)), "a SIGKILLed worker did not go away");
    }

    /// <summary>Waits for the process to exit and returns its exit code, failing (with its log) if it does not.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!Process.WaitForExit(timeout))
            Assert.Fail($"worker pid {Pid} still running after {timeout.TotalSeconds:0} s. Its log:\n{Log}");
        Process.WaitForExit(); // flush the asynchronous readers
        return Process.ExitCode;
    }

    public void Dispose()
    {
        try { if (!Process.HasExited) Process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
        Process.Dispose();
    }
}
